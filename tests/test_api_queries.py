"""The analyst queries as an API (/api/queries), its OpenAPI description and the /queries page, through
the test client over the project's own store: each query answers as the engine does with the same
bindings, parameters change the answer, formats by Accept and suffix, refused parameters are 400s that
name them, unknown queries 404s that list the known ones."""

import csv
import html
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from openapi_spec_validator import validate

from zgckg.cli import main
from zgckg.kg.engine import Query
from zgckg.kg.formats import SOLUTIONS, by_short
from zgckg.kg.queries import bindings, load_queries
from zgckg.namespaces import INSTANCES

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_queries(ROOT / "queries")
PARAMETRISED = sorted(name for name, q in QUERIES.items() if q.params)
FORMATS = by_short(SOLUTIONS)
MEDIA = {"json": "application/sparql-results+json", "csv": "text/csv", "tsv": "text/tab-separated-values"}
INJECTION = "zg:x> } ; DROP ALL #"


@pytest.fixture(scope="module")
def engine(project_app):
    return project_app.extensions["zgckg"].engine


def engine_answer(engine, name: str, fmt: str = "json", **given: str) -> bytes:
    query = QUERIES[name]
    return engine.query(Query(query.text, FORMATS[fmt], bindings=bindings(query, given))).content()


def solutions(document: bytes | dict) -> tuple[list[str], list[dict]]:
    if isinstance(document, bytes):
        document = json.loads(document)
    return document["head"]["vars"], document["results"]["bindings"]


def message(response) -> str:
    return response.get_data(as_text=True)


# --- the listing -------------------------------------------------------------------------------------

def test_the_listing_has_every_query_file_with_titles_questions_parameters_and_urls(project_client):
    response = project_client.get("/api/queries")
    assert response.status_code == 200 and response.mimetype == "application/json"
    listed = response.get_json()
    assert [q["name"] for q in listed] == sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    for item in listed:
        query = QUERIES[item["name"]]
        assert item["title"] == {"zh": query.title("zh"), "en": query.title("en")}
        assert item["question"] == {"zh": query.question("zh"), "en": query.question("en")}
        assert [(p["name"], p["default"], p["kind"]) for p in item["parameters"]] == \
            [(name, default, "IRI") for name, default in query.params.items()]
        base = f"/api/queries/{item['name']}"
        assert item["urls"] == {"run": base, "json": base + ".json", "csv": base + ".csv", "tsv": base + ".tsv"}
    industry = next(q for q in listed if q["name"] == "industry-profile")
    assert industry["parameters"] == [{"name": "industry", "default": "zg:industry/ic-design",
                                       "default_iri": INSTANCES + "industry/ic-design", "kind": "IRI"}]


def test_the_listing_revalidates(project_client):
    first = project_client.get("/api/queries")
    assert first.headers["ETag"]
    again = project_client.get("/api/queries", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_listing_comes_from_the_configured_directory_and_leaves_out_broken_files(project_built, tmp_path):
    from zgckg.app import close_app, create_app

    (tmp_path / "mine.rq").write_text((ROOT / "queries" / "funds.rq").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "broken.rq").write_text("# title@zh: 只有标题\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    app = create_app(project_built.with_values({"queries_dir": tmp_path, "workers": 1}))
    try:
        client = app.test_client()
        assert [q["name"] for q in client.get("/api/queries").get_json()] == ["mine"]
        assert client.get("/api/queries/mine.csv").status_code == 200
        assert client.get("/api/queries/funds").status_code == 404
        assert client.get("/api/queries/broken").status_code == 404
    finally:
        close_app(app)


def test_the_queries_directory_is_a_setting_with_a_default(tmp_path):
    from zgckg.config import Config

    assert Config().queries_dir == ROOT / "queries"
    assert Config.from_env({"ZGCKG_QUERIES_DIR": str(tmp_path)}).queries_dir == tmp_path.resolve()


# --- running a query ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(QUERIES), ids=str)
def test_each_query_answers_with_its_defaults_as_the_engine_does(project_client, engine, name):
    response = project_client.get(f"/api/queries/{name}")
    assert response.status_code == 200, message(response)
    assert response.mimetype == MEDIA["json"]
    assert solutions(response.data) == solutions(engine_answer(engine, name))


@pytest.mark.parametrize("name", PARAMETRISED, ids=str)
def test_giving_the_defaults_explicitly_changes_nothing(project_client, name):
    query = QUERIES[name]
    default = project_client.get(f"/api/queries/{name}.json")
    spelled_out = project_client.get(f"/api/queries/{name}.json", query_string={
        p.name: p.default_iri for p in query.parameters})
    bracketed = project_client.get(f"/api/queries/{name}.json", query_string={
        p.name: f"<{p.default_iri}>" for p in query.parameters})
    assert solutions(default.data) == solutions(spelled_out.data) == solutions(bracketed.data)


OTHER_VALUES = {
    "connections-to-park": ({"entity": "zg:xiaomi"}, "path"),
    "evidence-for-entity": ({"entity": "zg:xiaomi"}, "quote"),
    "industry-profile": ({"industry": "zg:industry/cloud-computing"}, "value"),
    "places-containing": ({"entity": "zg:xiaomi"}, "place"),
    "shares-of-a-whole": ({"whole": "zg:china"}, "share"),
}


def test_every_parametrised_query_has_another_value_tested():
    assert set(OTHER_VALUES) == set(PARAMETRISED)


@pytest.mark.parametrize("name", PARAMETRISED, ids=str)
def test_a_parameter_changes_the_answer_as_it_does_for_the_engine(project_client, engine, name):
    given, column = OTHER_VALUES[name]
    default = solutions(project_client.get(f"/api/queries/{name}").data)[1]
    response = project_client.get(f"/api/queries/{name}", query_string=given)
    assert response.status_code == 200, message(response)
    other = solutions(response.data)[1]
    assert solutions(response.data) == solutions(engine_answer(engine, name, **given))
    assert other
    for param, value in given.items():
        assert {row[param]["value"] for row in other} == {INSTANCES + value.removeprefix("zg:")}
    assert {json.dumps(r.get(column)) for r in other} != {json.dumps(r.get(column)) for r in default}


def test_industry_profile_for_another_industry_answers_as_zgckg_query_does(project_client, project_built):
    result = CliRunner().invoke(main, [
        "query", str(ROOT / "queries" / "industry-profile.rq"), "--param", "industry=zg:industry/cloud-computing",
        "--format", "csv", "--store", str(project_built.store)])
    assert result.exit_code == 0, result.output
    response = project_client.get("/api/queries/industry-profile.csv?industry=zg:industry/cloud-computing")
    assert response.status_code == 200
    assert response.data == result.stdout_bytes
    assert response.data != project_client.get("/api/queries/industry-profile.csv").data


# --- formats -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_a_suffix_names_the_format(project_client, engine, fmt):
    response = project_client.get(f"/api/queries/industry-profile.{fmt}", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == MEDIA[fmt]
    assert response.data == engine_answer(engine, "industry-profile", fmt)


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_accept_chooses_the_format(project_client, engine, fmt):
    response = project_client.get("/api/queries/funds", headers={"Accept": MEDIA[fmt]})
    assert response.status_code == 200 and response.mimetype == MEDIA[fmt]
    assert response.data == engine_answer(engine, "funds", fmt)
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"])
def test_json_unless_the_client_prefers_csv_or_tsv(project_client, accept):
    response = project_client.get("/api/queries/funds", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == MEDIA["json"]


def test_csv_has_a_header_and_a_row_per_solution(project_client):
    document = project_client.get("/api/queries/park-figures.json").get_json()
    rows = list(csv.reader(io.StringIO(project_client.get("/api/queries/park-figures.csv").get_data(as_text=True))))
    assert rows[0] == document["head"]["vars"]
    assert len(rows) - 1 == len(document["results"]["bindings"]) > 0


def test_nothing_acceptable_is_a_406_listing_the_formats(project_client):
    response = project_client.get("/api/queries/funds", headers={"Accept": "application/sparql-results+xml"})
    assert response.status_code == 406
    assert "text/csv" in message(response) and ".tsv" in message(response)


# --- refused parameters: 400 naming the parameter ------------------------------------------------------

@pytest.mark.parametrize("value", [
    INJECTION,
    "zg:haidian-park> . ?s ?p ?o",
    "zg:haidian park",
    "haidian-park",
    "<zg:a> <zg:b>",
    "",
    "\"literal\"",
], ids=["injection", "angle-bracket", "space", "no-scheme", "two-terms", "empty", "literal"])
def test_a_value_that_is_no_iri_is_a_400_naming_the_parameter(project_client, value):
    response = project_client.get("/api/queries/industry-profile", query_string={"industry": value})
    assert response.status_code == 400
    assert "industry" in message(response)


def test_the_injection_attempt_changes_nothing(project_client):
    before = project_client.get("/api/queries/entities-per-class.json").data
    response = project_client.get("/api/queries/industry-profile.csv", query_string={"industry": INJECTION})
    assert response.status_code == 400 and "parameter industry" in message(response)
    assert project_client.get("/api/queries/entities-per-class.json").data == before


def test_an_error_is_json_when_the_client_prefers_it(project_client):
    response = project_client.get("/api/queries/industry-profile?industry=nope",
                                  headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 400 and body["status"] == 400 and "industry" in body["message"]


def test_an_unknown_parameter_is_a_400_naming_it(project_client):
    response = project_client.get("/api/queries/industry-profile?sector=zg:industry/cloud-computing")
    assert response.status_code == 400
    assert "sector" in message(response) and "industry" in message(response)


def test_a_parameter_for_a_query_without_parameters_is_a_400(project_client):
    response = project_client.get("/api/queries/funds?entity=zg:haidian-park")
    assert response.status_code == 400 and "entity" in message(response)


def test_a_parameter_given_twice_is_a_400_naming_it(project_client):
    response = project_client.get("/api/queries/industry-profile?industry=zg:a&industry=zg:b")
    assert response.status_code == 400 and "industry" in message(response)


def test_an_invalid_utf8_query_string_is_a_400(project_client):
    response = project_client.get("/api/queries/industry-profile?industry=%ff")
    assert response.status_code == 400


# --- limits and caching ------------------------------------------------------------------------------

def test_max_rows_is_enforced_as_on_the_endpoint(project_client):
    rows = len(solutions(project_client.get("/api/queries/park-figures").data)[1])
    assert rows > 1
    assert project_client.get(f"/api/queries/park-figures?max-rows={rows}").status_code == 200
    response = project_client.get(f"/api/queries/park-figures?max-rows={rows - 1}")
    assert response.status_code == 400 and "row" in message(response).lower()


@pytest.mark.parametrize("param", ["timeout=abc", "timeout=0", "max-rows=-1", "max-rows=1.5"])
def test_a_bad_limit_is_a_400_naming_it(project_client, param):
    response = project_client.get(f"/api/queries/park-figures?{param}")
    assert response.status_code == 400 and param.split("=")[0] in message(response)


def test_a_limit_above_the_servers_is_lowered_not_refused(project_client):
    assert project_client.get("/api/queries/funds?timeout=100000&max-rows=999999999").status_code == 200


def test_answers_carry_validators_and_revalidate(project_client):
    first = project_client.get("/api/queries/industry-profile.csv?industry=zg:industry/cloud-computing")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = project_client.get("/api/queries/industry-profile.csv?industry=zg:industry/cloud-computing",
                               headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = project_client.get("/api/queries/industry-profile.csv", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    as_json = project_client.get("/api/queries/industry-profile.json?industry=zg:industry/cloud-computing")
    assert as_json.headers["ETag"] != etag


def test_cors_is_open_as_on_the_endpoint(project_client):
    assert project_client.get("/api/queries/funds").headers["Access-Control-Allow-Origin"] == "*"
    preflight = project_client.options("/api/queries/funds")
    assert preflight.status_code == 204 and "GET" in preflight.headers["Access-Control-Allow-Methods"]


# --- unknown queries: 404 listing the known names ------------------------------------------------------

@pytest.mark.parametrize("name", ["no-such-query", "funds.xml", "funds.csv.csv", "..", "FUNDS"])
def test_an_unknown_query_is_a_404_listing_the_known_names(project_client, name):
    response = project_client.get(f"/api/queries/{name}")
    assert response.status_code == 404
    assert all(known in message(response) for known in QUERIES)


# --- OpenAPI -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def openapi(project_app):
    response = project_app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_openapi_document_validates(openapi):
    validate(openapi)
    assert openapi["openapi"].startswith("3.1")


def test_the_openapi_document_lists_every_query_with_its_parameters(openapi):
    paths = openapi["paths"]
    for name, query in QUERIES.items():
        operation = paths[f"/api/queries/{name}"]["get"]
        declared = {p["name"]: p for p in operation["parameters"] if "name" in p}
        assert set(declared) == set(query.params)
        for param, default in query.params.items():
            assert declared[param]["in"] == "query" and declared[param]["schema"]["default"] == default
        assert operation["summary"] == query.title("en")
    assert {"/api/queries", "/api/search", "/api/paths", "/api/neighbourhood"} <= set(paths)
    names = {p["name"] for p in paths["/api/paths"]["get"]["parameters"]}
    assert names == {"from", "to", "max_hops", "limit", "exclude", "inferred"}
    assert {p["name"] for p in paths["/api/search"]["get"]["parameters"]} == {"q", "limit", "lang"}
    assert {p["name"] for p in paths["/api/neighbourhood"]["get"]["parameters"]} == {"iri", "inferred"}


def example_url(path: str, operation: dict) -> str:
    """A URL for a documented path: path parameters and required query parameters from their examples."""
    query = {}
    for param in operation.get("parameters", []):
        if "name" not in param:
            continue
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", param["example"])
        elif param.get("required") or "example" in param:
            query[param["name"]] = param["example"]
    return path, query


def served(app, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except Exception:
        return False
    return True


def conforms(openapi: dict, schema: dict, instance) -> None:
    """``instance`` against a schema of the document (its ``$ref``s resolved within the document)."""
    from jsonschema import Draft202012Validator

    Draft202012Validator({**schema, "components": openapi["components"]}).validate(instance)


def test_every_documented_path_answers_as_documented(project_app, project_client, openapi):
    """/api/paths and /api/neighbourhood are documented ahead of their routes: each is checked once served."""
    missing = []
    for path, item in openapi["paths"].items():
        url, query = example_url(path, item["get"])
        if path in ("/api/paths", "/api/neighbourhood") and not served(project_app, url):
            missing.append(path)
            continue
        response = project_client.get(url, query_string=query)
        assert response.status_code == 200, (url, query, message(response))
        declared = item["get"]["responses"]["200"]["content"]
        assert response.mimetype in declared, (url, response.mimetype)
        if "json" in response.mimetype:
            conforms(openapi, declared[response.mimetype]["schema"], json.loads(response.data))
    assert set(missing) <= {"/api/paths", "/api/neighbourhood"}


def test_a_path_between_two_resources_answers_as_documented(project_app, project_client, openapi):
    if not served(project_app, "/api/paths"):
        pytest.skip("/api/paths is not served yet")
    body = project_client.get("/api/paths?from=zg:baidu-deep-learning-lab&to=zg:haidian-park&limit=2").get_json()
    conforms(openapi, {"$ref": "#/components/schemas/Paths"}, body)
    assert body["paths"] and all(p["edges"] for p in body["paths"])


def test_the_search_answer_has_the_documented_shape(project_client, openapi):
    schema = openapi["components"]["schemas"]["SearchResults"]
    body = project_client.get("/api/search?q=清华&limit=3").get_json()
    assert set(schema["required"]) <= set(body)
    assert body["results"] and set(body["results"][0]) == set(schema["properties"]["results"]["items"]["properties"])


def test_the_openapi_document_revalidates(project_client):
    first = project_client.get("/api/openapi.json")
    assert project_client.get("/api/openapi.json", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


# --- the page ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_lists_every_query_with_its_links(project_client, lang):
    response = project_client.get(f"/queries?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for name, query in QUERIES.items():
        assert query.title(lang) in html.unescape(page)
        assert query.question(lang) in html.unescape(page)
        for suffix in ("json", "csv", "tsv"):
            assert f'href="/api/queries/{name}.{suffix}"' in page
    assert ("分析查询" if lang == "zh" else "Analyst queries") in page
    assert 'name="industry" value="zg:industry/ic-design"' in page


def test_the_page_opens_each_query_in_the_workbench(project_client):
    import re

    page = project_client.get("/queries?lang=en").get_data(as_text=True)
    links = [html.unescape(h) for h in re.findall(r'href="(/query\?[^"]*)"', page)]
    assert len(links) == len(QUERIES)
    texts = [parse_qs(urlsplit(link).query)["query"][0] for link in links]
    assert texts == [q.text for q in QUERIES.values()]


def test_the_pages_links_answer(project_client):
    import re

    page = project_client.get("/queries").get_data(as_text=True)
    for url in sorted(set(re.findall(r'href="(/api/queries/[^"]+)"', page)))[:12]:
        assert project_client.get(url).status_code == 200, url


def test_no_query_declares_a_parameter_named_like_a_limit():
    from zgckg.web.api_queries import LIMITS

    assert not {p for q in QUERIES.values() for p in q.params} & set(LIMITS)
