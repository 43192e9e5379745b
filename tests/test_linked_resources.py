"""/id/<slug>: pages and RDF descriptions of resources, by content negotiation or suffix; search."""

import json
import re

import pyoxigraph as ox
import pytest
import rdflib

from zgckg.namespaces import GRAPH_INFERRED, INSTANCES, ONTOLOGY

LAB = INSTANCES + "baidu-deep-learning-lab"
ZGO = rdflib.Namespace(ONTOLOGY)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def text(response) -> str:
    return response.get_data(as_text=True)


def test_page_shows_names_evidence_in_its_sentence_and_curation(project_client):
    page = text(project_client.get("/id/baidu-deep-learning-lab", headers={"Accept": BROWSER}))
    assert "<h1>百度深度学习技术及应用国家工程实验室" in page
    # the quote is marked inside the whole sentence it comes from, linked to that sentence's page
    assert "、<mark>百度深度学习技术及应用国家工程实验室</mark>等一批重大原始创新平台落地海淀" in page
    assert 'href="/source/sentence/p04s06"' in page
    # the host is a curators' addition: badged, with the curators' reason
    hosted = page[page.index('href="/ontology#hostedBy"'):]
    assert 'class="badge curated"' in hosted[:800]
    assert "报告未写明承建单位" in hosted[:800]


def test_the_language_switch_is_remembered(project_client):
    client = project_client
    english = client.get("/id/baidu?lang=en")
    assert "<h1>Baidu" in text(english)
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "Cookie" in english.headers["Vary"]
    again = client.get("/id/baidu")  # the cookie, without the parameter
    assert "<h1>Baidu" in text(again)
    assert "<h1>百度" in text(client.get("/id/baidu?lang=zh"))


def test_inferred_facts_are_apart_from_asserted_ones(project_client):
    page = text(project_client.get("/id/baidu"))
    asserted, _, inferred = page.partition('<details id="inferred">')
    assert 'href="/ontology#hosts"' in inferred  # the inverse of the asserted hostedBy, added by OWL 2 RL
    assert 'href="/ontology#hosts"' not in asserted
    turtle = rdflib.Graph().parse(data=text(project_client.get("/id/baidu.ttl")), format="turtle")
    assert (rdflib.URIRef(LAB), ZGO.hostedBy, rdflib.URIRef(INSTANCES + "baidu")) in turtle
    assert not list(turtle.triples((rdflib.URIRef(INSTANCES + "baidu"), ZGO.hosts, None)))
    quads = set(ox.parse(project_client.get("/id/baidu.trig").get_data(), format=ox.RdfFormat.TRIG))
    hosts = ox.Quad(ox.NamedNode(INSTANCES + "baidu"), ox.NamedNode(ONTOLOGY + "hosts"), ox.NamedNode(LAB),
                    ox.NamedNode(GRAPH_INFERRED))
    assert hosts in quads


@pytest.mark.parametrize("accept, media_type", [
    (BROWSER, "text/html"),
    ("*/*", "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.9, application/n-triples", "application/n-triples"),
    ("application/trig", "application/trig"),
    ("application/n-quads", "application/n-quads"),
])
def test_one_url_answers_by_content_negotiation(project_client, accept, media_type):
    response = project_client.get("/id/xiaomi", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("suffix, media_type", [
    ("ttl", "text/turtle"), ("nt", "application/n-triples"), ("rdf", "application/rdf+xml"),
    ("jsonld", "application/ld+json"), ("nq", "application/n-quads"), ("trig", "application/trig"),
    ("html", "text/html"),
])
def test_a_suffix_names_the_syntax_whatever_the_accept_header(project_client, suffix, media_type):
    response = project_client.get(f"/id/xiaomi.{suffix}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == media_type


def test_jsonld_is_compacted_with_the_context_and_expands_to_the_same_triples(project_client):
    document = json.loads(text(project_client.get("/id/xiaomi.jsonld")))
    assert document["@context"]["zgo"] == ONTOLOGY
    # expanded by a JSON-LD processor other than the one that compacted it
    from_jsonld = {q.triple for q in ox.parse(json.dumps(document).encode(), format=ox.RdfFormat.JSON_LD)}
    from_ntriples = set(ox.parse(project_client.get("/id/xiaomi.nt").get_data(), format=ox.RdfFormat.N_TRIPLES))
    assert from_jsonld == {q.triple for q in from_ntriples}
    assert any(t.predicate.value.endswith("#label") and t.object.value == "小米" for t in from_jsonld)
    context = json.loads(text(project_client.get("/context.jsonld")))
    assert context["@context"] == document["@context"]


def test_the_page_embeds_schema_org_and_links_its_rdf(project_client):
    page = text(project_client.get("/id/baidu"))
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(block)
    assert data["@id"] == INSTANCES + "baidu"
    assert "Corporation" in data["@type"]
    assert {"@value": "百度", "@language": "zh"} in data["name"]
    assert '<link rel="alternate" type="text/turtle" href="/id/baidu.ttl">' in page


def test_figures_are_a_table_with_hedge_unit_base_value_and_evidence(project_client):
    page = text(project_client.get("/id/haidian-park?lang=zh"))
    table = page[page.index('<table class="figures">'):]
    table = table[:table.index("</table>")]
    # 近万家: value 1, written multiplier 万, hedged "nearly"; 10000 in base units
    row = next(r for r in table.split("<tr>") if "各类高新技术企业数量" in r)
    assert re.search(r"近\S*\s*1 万", row), row
    assert ">10000 <" in row
    assert "2016-12-31" in row


def test_revalidation_is_a_304(project_client):
    first = project_client.get("/id/xiaomi.ttl")
    etag = first.headers["ETag"]
    again = project_client.get("/id/xiaomi.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_the_report_and_its_sentences_have_their_pages_under_source(project_client):
    page = project_client.get("/id/report/haidian-park/p04s06", headers={"Accept": BROWSER})
    assert page.status_code == 303
    assert page.headers["Location"].endswith("/source/sentence/p04s06")
    assert project_client.get("/id/report/haidian-park").headers["Location"].endswith("/source")
    turtle = project_client.get("/id/report/haidian-park/p04s06.ttl")
    assert turtle.status_code == 200
    assert "重大原始创新平台落地海淀" in text(turtle)


@pytest.mark.parametrize("path", ["/id/xiaom", "/id/Xiaomi", "/id/tsinghua-univ"])
def test_an_unknown_slug_is_a_404_page_with_suggestions(project_client, path):
    response = project_client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert 'class="suggestions"' in text(response)
    assert re.search(r'href="/id/(xiaomi|tsinghua-university)"', text(response))


@pytest.mark.parametrize("path, accept", [
    ("/id/no-such-thing", "text/turtle"),
    ("/id/no-such-thing.ttl", BROWSER),
    ("/id/../sparql", BROWSER),
    ("/id/a/../../etc/passwd", BROWSER),
    ("/id/%3Cscript%3E", BROWSER),
    ("/id/a%20b", "text/turtle"),
    ("/id/xiaomi.exe", BROWSER),
    ("/id/" + "x" * 5000, BROWSER),
    ("/id/%00", BROWSER),
])
def test_bad_paths_are_404s(project_client, path, accept):
    response = project_client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    assert "Traceback" not in text(response)


@pytest.mark.parametrize("accept", ["application/x-nonsense", "text/turtle;q=0, text/html;q=0", "image/png"])
def test_nothing_acceptable_is_a_406_naming_what_is_offered(project_client, accept):
    response = project_client.get("/id/xiaomi", headers={"Accept": accept})
    assert response.status_code == 406
    assert "text/turtle" in text(response)


def test_absurd_accept_headers_are_not_errors_of_the_server(project_client):
    for accept in ("*/*;q=" + "9" * 5000, ",".join(["text/x-%d" % i for i in range(2000)]), "\x7f/\x7f", ";;;,,,"):
        response = project_client.get("/id/xiaomi", headers={"Accept": accept})
        assert response.status_code in (200, 406), accept[:40]


def test_search_matches_chinese_substrings_and_english_prefixes(project_client):
    def iris(query):
        answer = project_client.get("/api/search", query_string={"q": query}).get_json()
        return [r["iri"] for r in answer["results"]]

    assert INSTANCES + "tsinghua-university" in iris("清华")
    assert INSTANCES + "tsinghua-university" in iris("tsing")
    assert INSTANCES + "baidu-deep-learning-lab" in iris("深度学习")  # inside the name, no segmentation
    assert iris("百度")[0] == INSTANCES + "baidu"  # the exact name first
    assert iris("ＢＡＩＤＵ")[0] == INSTANCES + "baidu"  # full-width and upper case fold
    page = text(project_client.get("/search", query_string={"q": "小米"}))
    assert 'href="/id/xiaomi"' in page


@pytest.mark.parametrize("query_string", [{"q": "x" * 10_000}, {"q": "百度", "limit": "abc"}, {"q": "a", "limit": "0"}])
def test_bad_searches_are_400s(project_client, query_string):
    response = project_client.get("/api/search", query_string=query_string, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "message" in response.get_json()


def test_an_overlong_search_page_is_a_400(project_client):
    assert project_client.get("/search", query_string={"q": "清" * 10_000}).status_code == 400


def test_pages_forbid_inline_script(project_client):
    policy = project_client.get("/id/baidu").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_home_page_offers_starting_points_in_the_readers_language(project_client):
    page = text(project_client.get("/?lang=en"))
    assert '<a href="/id/baidu-deep-learning-lab">Baidu National Engineering Laboratory' in page
    assert 'href="/.well-known/void"' in page and 'href="/dumps/"' in page
    assert '<a href="/id/xiaomi">小米</a>' in text(project_client.get("/?lang=zh"))


def test_the_home_page_counts_what_the_graph_holds_and_opens_every_view(project_client):
    page = text(project_client.get("/?lang=en"))
    counted = project_client.get("/sparql", query_string={
        "query": "SELECT (COUNT(DISTINCT ?x) AS ?n) { ?x a zgo:Enterprise }"}).get_json()
    enterprises = counted["results"]["bindings"][0]["n"]["value"]
    assert f'<span class="count">{enterprises}</span> <a href="/ontology#Enterprise">' in page
    for target in ("/explore/platforms", "/explore/policies", "/figures", "/query", "/queries", "/paths?",
                   "/dumps/", "/sparql"):
        assert f'href="{target}' in page or f'href="http://localhost{target}' in page, target


def test_an_entity_page_opens_the_graph_view_and_the_paths_from_it(project_client):
    page = text(project_client.get("/id/xiaomi"))
    assert 'href="/explore?iri=https%3A//w3id.org/zgckg/id/xiaomi"' in page
    assert 'href="/paths?from=https%3A//w3id.org/zgckg/id/xiaomi"' in page


def test_an_interpreted_fact_wears_its_badge_and_the_annotations_stay_out_of_the_relations(project_client):
    page = text(project_client.get("/id/beijing-graphene-innovation-centre?lang=en"))
    item = page[page.index('href="/id/haidian-park-administration"'):]
    item = item[:item.index("</li>")]
    assert '<span class="badge interpreted">interpreted</span>' in item and "implicit" in item
    assert "oa:hasBody" not in page and "hasBody" not in page
