"""Paths between resources, neighbourhoods and ready-made views, over the real graph."""

import pytest

from zgckg.namespaces import INSTANCES, ONTOLOGY

ZG = INSTANCES
PLUMBING = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label",
    ONTOLOGY + "evidence", ONTOLOGY + "about", ONTOLOGY + "sentence", ONTOLOGY + "measure", ONTOLOGY + "shareOf",
    ONTOLOGY + "relatedTo", "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject",
}


def paths(client, **params):
    response = client.get("/api/paths", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["paths"]


def check_edges(found, report):
    """Every edge: no plumbing, a direction, labels, and each quote exactly the report's text at its offsets."""
    assert found
    for path in found:
        for edge in path["edges"]:
            assert edge["predicate"] not in PLUMBING
            assert edge["predicate"].startswith((ONTOLOGY, "http://www.w3.org/2004/02/skos/core#"))
            assert edge["direction"] in ("forward", "backward")
            assert edge["labels"]["predicate"]["zh"] and edge["labels"]["predicate"]["en"]
            assert edge["evidence"] or edge["curated"] or edge["inferred"], edge
            for quote in edge["evidence"]:
                assert report.text[quote["start"]:quote["end"]] == quote["quote"]
                assert report.sentence(quote["sentence"]).text == quote["sentenceText"]


def walk(path, source):
    """The nodes a path visits, in order, checking each edge continues where the previous one ended."""
    nodes = [source]
    for edge in path["edges"]:
        here, there = (edge["subject"], edge["object"]) if edge["direction"] == "forward" else (edge["object"], edge["subject"])
        assert here == nodes[-1]
        nodes.append(there)
    return nodes


@pytest.mark.parametrize("source, target", [
    ("baidu-deep-learning-lab", "haidian-park"),
    ("tsinghua-university", "haidian-park"),
])
def test_paths_to_the_park_carry_the_reports_words(project_client, report, source, target):
    found = paths(project_client, **{"from": ZG + source, "to": ZG + target})
    check_edges(found, report)
    lengths = [len(p["edges"]) for p in found]
    assert lengths == sorted(lengths) and len(found) <= 5
    for path in found:
        assert walk(path, ZG + source)[-1] == ZG + target


def test_a_path_from_the_fund_of_funds_to_a_university(project_client, report):
    universities = [ZG + "tsinghua-university", ZG + "peking-university", ZG + "ustc"]
    found = []
    for university in universities:
        found += paths(project_client, **{"from": "zg:collaborative-innovation-fund", "to": university})
    check_edges(found, report)
    assert any(walk(p, ZG + "collaborative-innovation-fund")[-1] in universities for p in found)


def test_a_platform_and_the_institution_that_co_built_it(project_client, report):
    found = paths(project_client, **{"from": "zg:beijing-collaborative-innovation-institute",
                                      "to": "zg:capital-universities-institutes", "max_hops": "1"})
    check_edges(found, report)
    assert [e["predicate"] for e in found[0]["edges"]] == [ONTOLOGY + "coBuiltBy"]
    assert found[0]["edges"][0]["evidence"]


def test_excluded_hubs_are_never_passed_through(project_client):
    hubs = ["zg:haidian-park", "zg:haidian-district", "zg:haidian-government", "zg:beijing", "zg:china"]
    found = paths(project_client, **{"from": "zg:baidu-deep-learning-lab", "to": "zg:tsinghua-university",
                                      "max_hops": "4", "exclude": hubs})
    for path in found:
        assert not set(walk(path, ZG + "baidu-deep-learning-lab")[1:-1]) & {ZG + h[3:] for h in hubs}


def test_inferred_edges_come_only_when_asked_and_are_marked(project_client):
    asserted = paths(project_client, **{"from": "zg:baidu", "to": "zg:baidu-deep-learning-lab", "max_hops": "1"})
    assert all(not e["inferred"] for p in asserted for e in p["edges"])
    with_inferred = paths(project_client, **{"from": "zg:xiaomi", "to": "zg:haidian-district", "max_hops": "1",
                                              "inferred": "true"})
    assert with_inferred and with_inferred[0]["edges"][0]["inferred"] is True  # locatedIn, by transitivity
    assert paths(project_client, **{"from": "zg:xiaomi", "to": "zg:haidian-district", "max_hops": "1"}) == []


def test_an_unreachable_pair_is_an_empty_list(project_client):
    assert paths(project_client, **{"from": "zg:xiaomi", "to": "zg:tsinghua-university", "max_hops": "1"}) == []


@pytest.mark.parametrize("params, status, words", [
    ({"from": "zg:no-such-thing", "to": "zg:haidian-park"}, 404, "no-such-thing"),
    ({"from": "zg:xiaomi", "to": "https://example.org/nothing"}, 404, "example.org"),
    ({"from": "zg:xiaomi", "to": "zg:haidian-park", "max_hops": "1000"}, 400, "max_hops"),
    ({"from": "zg:xiaomi", "to": "zg:haidian-park", "max_hops": "-1"}, 400, "max_hops"),
    ({"from": "zg:xiaomi", "to": "zg:haidian-park", "limit": "many"}, 400, "limit"),
    ({"from": "zg:xiaomi", "to": "zg:haidian-park", "inferred": "perhaps"}, 400, "inferred"),
    ({"to": "zg:haidian-park"}, 400, "from"),
    ({"from": "not an iri", "to": "zg:haidian-park"}, 400, "from"),
    ({"from": "zg:x> } ; DROP ALL #", "to": "zg:haidian-park"}, 400, "from"),
    ({"from": "zg:xiaomi", "to": "zg:haidian-park", "exclude": "::"}, 400, "exclude"),
])
def test_bad_questions_are_clear_4xx(project_client, params, status, words):
    response = project_client.get("/api/paths", query_string=params, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert words in response.get_json()["message"]


def test_a_search_past_its_bounds_says_which(project_built):
    from zgckg.errors import ExplorationTooBroad
    from zgckg.kg.engine.inprocess import InProcessEngine
    from zgckg.kg.explore.paths import Bounds, find_paths
    from zgckg.kg.store import StoreDir

    engine = InProcessEngine(project_built, StoreDir(project_built.store))
    try:
        with pytest.raises(ExplorationTooBroad, match="10 relations"):
            find_paths(engine, ZG + "xiaomi", ZG + "tsinghua-university", bounds=Bounds(max_hops=6, max_edges=10))
    finally:
        engine.close()


def test_a_neighbourhood_has_labelled_nodes_and_evidenced_edges(project_client, report):
    data = project_client.get("/api/neighbourhood", query_string={"iri": "zg:baidu-deep-learning-lab"}).get_json()
    nodes = {n["iri"]: n for n in data["nodes"]}
    assert nodes[ZG + "baidu"]["labels"] == {"zh": "百度", "en": "Baidu"}
    assert nodes[ZG + "baidu"]["class"] == ONTOLOGY + "Enterprise" and nodes[ZG + "baidu"]["path"] == "/id/baidu"
    hosted = next(e for e in data["edges"] if e["predicate"] == ONTOLOGY + "hostedBy")
    assert hosted["curated"] and hosted["notes"]["en"]
    check_edges([{"edges": [{**e, "direction": "forward"} for e in data["edges"]]}], report)
    assert project_client.get("/api/neighbourhood", query_string={"iri": "zg:nothing-here"}).status_code == 404


@pytest.mark.parametrize("name, predicates", [
    ("platforms", {"coBuiltBy", "hostedBy", "initiatedBy", "landedIn"}),
    ("policies", {"issuedBy", "implementedBy", "componentOf"}),
])
def test_the_ready_made_views(project_client, name, predicates):
    data = project_client.get(f"/api/views/{name}").get_json()
    used = {e["predicate"][len(ONTOLOGY):] for e in data["edges"]}
    assert predicates <= used
    assert {e["subject"] for e in data["edges"]} | {e["object"] for e in data["edges"]} == {n["iri"] for n in data["nodes"]}
    assert project_client.get("/api/views/nothing").status_code == 404


def test_the_paths_page_shows_each_quote_in_its_sentence(project_client):
    page = project_client.get("/paths", query_string={"from": "清华", "to": "海淀园", "lang": "zh"}).get_data(as_text=True)
    assert 'href="/id/tsinghua-university"' in page and 'href="/id/haidian-park"' in page
    assert "<mark>" in page and 'href="/source/sentence/' in page
    assert project_client.get("/paths", query_string={"from": "没有这个名字的东西", "to": "海淀园"}).status_code == 404


def test_a_neighbourhood_past_its_size_or_time_is_refused_naming_the_limit(project_built, monkeypatch):
    from zgckg.errors import ExplorationTooBroad
    from zgckg.kg.engine.inprocess import InProcessEngine
    from zgckg.kg.explore import neighbourhood as module
    from zgckg.kg.store import StoreDir

    engine = InProcessEngine(project_built, StoreDir(project_built.store))
    try:
        monkeypatch.setattr(module, "MAX_EDGES", 10)
        with pytest.raises(ExplorationTooBroad, match="neighbourhood of <https://w3id.org/zgckg/id/haidian-park>.*10 relations"):
            module.neighbourhood(engine, ZG + "haidian-park")
        with pytest.raises(ExplorationTooBroad, match="time limit"):
            module.neighbourhood(engine, ZG + "xiaomi", seconds=0.0)
    finally:
        engine.close()
