"""The analyst-query API over real HTTP, as curl or a script would use it: the listing, a CSV download,
negotiation by Accept, parameters in the URL, errors as JSON, revalidation, and the OpenAPI description
whose every path answers."""

import csv
import io
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from openapi_spec_validator import validate

from zgckg.kg.queries import load_queries

ROOT = Path(__file__).resolve().parents[1]
QUERIES = load_queries(ROOT / "queries")


def get(server: str, path: str, **kwargs) -> requests.Response:
    return requests.get(server + path, timeout=60, **kwargs)


def test_the_listing_names_every_query_and_each_url_answers(project_server):
    response = get(project_server, "/api/queries")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    listed = response.json()
    assert [q["name"] for q in listed] == sorted(QUERIES)
    for item in listed:
        for fmt, media in (("json", "application/sparql-results+json"), ("csv", "text/csv"),
                           ("tsv", "text/tab-separated-values")):
            answer = get(project_server, item["urls"][fmt])
            assert answer.status_code == 200, (item["urls"][fmt], answer.text)
            assert answer.headers["Content-Type"].split(";")[0] == media


def test_a_csv_download_parses_and_matches_the_json_answer(project_server, tmp_path):
    with get(project_server, "/api/queries/industry-profile.csv",
             params={"industry": "zg:industry/cloud-computing"}, stream=True) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        target = tmp_path / "industry-profile.csv"
        with target.open("wb") as out:
            for chunk in response.iter_content(8192):
                out.write(chunk)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    document = get(project_server, "/api/queries/industry-profile",
                   params={"industry": "zg:industry/cloud-computing"}).json()
    assert len(rows) == len(document["results"]["bindings"]) > 0
    assert {r["industry"] for r in rows} == {"https://w3id.org/zgckg/id/industry/cloud-computing"}
    assert [r["value"] for r in rows] == [b.get("value", {}).get("value", "") for b in document["results"]["bindings"]]


def test_the_default_and_another_value_give_different_answers(project_server):
    default = get(project_server, "/api/queries/industry-profile.csv").text
    other = get(project_server, "/api/queries/industry-profile.csv",
                params={"industry": "https://w3id.org/zgckg/id/industry/cloud-computing"}).text
    assert default.splitlines()[0] == other.splitlines()[0] and default != other


@pytest.mark.parametrize("accept, media", [
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
])
def test_accept_negotiates_the_format(project_server, accept, media):
    response = get(project_server, "/api/queries/park-figures", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["Content-Type"].split(";")[0] == media


def test_a_compressed_answer_is_the_same_answer(project_server):
    plain = get(project_server, "/api/queries/entities-per-class.csv", headers={"Accept-Encoding": "identity"})
    packed = get(project_server, "/api/queries/entities-per-class.csv", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert packed.headers.get("Content-Encoding") == "gzip" and "Content-Encoding" not in plain.headers
    assert plain.content == packed.content  # requests decodes the gzip body


def test_an_injection_attempt_is_a_400_naming_the_parameter_in_json(project_server):
    response = get(project_server, "/api/queries/industry-profile",
                   params={"industry": "zg:x> } ; DROP ALL #"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and "industry" in body["message"]
    assert get(project_server, "/api/queries/entities-per-class.json").json()["results"]["bindings"]


def test_an_unknown_query_is_a_404_listing_the_known_ones(project_server):
    response = get(project_server, "/api/queries/unicorn", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert "unicorns" in response.json()["message"] and "park-figures" in response.json()["message"]


def test_revalidation_costs_no_answer(project_server):
    first = get(project_server, "/api/queries/unicorns.tsv")
    again = get(project_server, "/api/queries/unicorns.tsv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


# --- OpenAPI -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def openapi(project_server):
    response = get(project_server, "/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_openapi_document_validates(openapi):
    validate(openapi)


def test_every_path_the_openapi_document_lists_answers(project_server, openapi):
    """The two exploration paths documented ahead of their routes are checked only once they exist."""
    for path, item in openapi["paths"].items():
        operation = item["get"]
        params, url = {}, path
        for param in operation.get("parameters", []):
            if "$ref" in param:
                continue
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", param["example"])
            elif param.get("required") or "example" in param:
                params[param["name"]] = param["example"]
        response = get(project_server, url, params=params)
        if response.status_code == 404 and path in ("/api/paths", "/api/neighbourhood"):
            continue
        assert response.status_code == 200, (url, params, response.text[:300])
        assert response.headers["Content-Type"].split(";")[0] in operation["responses"]["200"]["content"]


# --- the page ----------------------------------------------------------------------------------------

def test_the_page_links_run_and_the_form_submits_as_a_browser_would(project_server):
    page = get(project_server, "/queries?lang=en")
    assert page.status_code == 200 and "Analyst queries" in page.text
    assert "Content-Security-Policy" in page.headers
    for href in sorted(set(re.findall(r'href="(/api/queries/[^"]+\.csv)"', page.text))):
        assert get(project_server, href).status_code == 200, href
    # a form for industry-profile: GET with its input, to the CSV URL of the submit button
    form = re.search(r'<form class="query-params" method="get" action="/api/queries/industry-profile\.json">'
                     r'.*?formaction="(/api/queries/industry-profile\.csv)"', page.text, re.S)
    assert form
    submitted = get(project_server, urljoin("/", form.group(1)), params={"industry": "zg:industry/cloud-computing"})
    assert submitted.status_code == 200 and "cloud-computing" in submitted.text
