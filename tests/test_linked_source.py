"""/source: the report's text sentence by sentence, its original file, and each sentence's page with the
facts drawn from it (reverse provenance), over the project's own built store."""

import hashlib
import html
import re
from pathlib import Path

import pytest
import requests

from zgckg.namespaces import INSTANCES

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "source" / "haidian-park-report.txt"


def page_of(client, path: str, lang: str = "zh") -> str:
    response = client.get(path, query_string={"lang": lang})
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def rows(client, query: str) -> list[dict[str, str]]:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [{k: v["value"] for k, v in row.items()} for row in response.get_json()["results"]["bindings"]]


def local(iri: str) -> str:
    return "/" + iri[len(INSTANCES) - len("id/"):]


@pytest.fixture(scope="module")
def source_page(project_app) -> str:
    return page_of(project_app.test_client(), "/source")


def test_every_sentence_of_the_report_is_on_the_page_with_its_id(report, source_page):
    for sentence in report.sentences:
        element = re.search(rf'<span class="sentence" id="{sentence.id}">(.*?)</span>', source_page, re.DOTALL)
        assert element, sentence.id
        assert f'href="/source/sentence/{sentence.id}"' in element.group(1)
        assert html.escape(sentence.text, quote=False) in element.group(1)
    assert source_page.count('<span class="sentence" id="') == len(report.sentences)


def test_paragraphs_follow_the_report(report, source_page):
    for paragraph in {s.paragraph for s in report.sentences}:
        block = source_page[source_page.index(f'<p class="paragraph" id="p{paragraph:02d}"'):]
        block = block[:block.index("</p>")]
        ids = re.findall(r'<span class="sentence" id="([^"]+)"', block)
        assert ids == [s.id for s in report.sentences if s.paragraph == paragraph]


def test_the_page_shows_titles_and_the_raw_files_checksum(source_page):
    data = RAW.read_bytes()
    assert hashlib.sha256(data).hexdigest() in source_page
    assert RAW.name in source_page and 'href="/source/raw"' in source_page
    assert f"{len(data):,}" in source_page
    assert "中关村科技园区海淀园事迹材料" in source_page


def test_raw_is_the_file_byte_for_byte_with_its_checksum_as_etag(project_server, source_page):
    response = requests.get(project_server + "/source/raw", timeout=30)
    assert response.status_code == 200
    assert response.content == RAW.read_bytes()
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    digest = hashlib.sha256(response.content).hexdigest()
    assert response.headers["ETag"] == f'"{digest}"'
    assert re.search(r'<code class="sha256">([0-9a-f]{64})</code>', source_page).group(1) == digest
    again = requests.get(project_server + "/source/raw", headers={"If-None-Match": f'"{digest}"'}, timeout=30)
    assert again.status_code == 304


def test_fact_counts_match_the_store(project_client, source_page):
    counted = rows(project_client, """
        SELECT ?id (COUNT(DISTINCT ?x) AS ?n) WHERE { ?ev zgo:sentence/zgo:sentenceId ?id . ?x zgo:evidence|zgo:mentionedAt ?ev }
        GROUP BY ?id""")
    assert len(counted) > 20
    for row in counted:
        element = re.search(rf'<span class="sentence" id="{row["id"]}">(.*?)</span>', source_page, re.DOTALL).group(1)
        assert re.search(r'class="fact-count"[^>]*>(\d+)</a>', element).group(1) == row["n"]


def test_a_sentence_page_marks_the_quote_and_links_a_statements_subject_and_object(project_client, report):
    found = rows(project_client, """
        SELECT ?id ?exact ?s ?o ?p WHERE {
          ?st a rdf:Statement ; zgo:evidence ?ev ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
          ?ev zgo:sentence/zgo:sentenceId ?id ; oa:hasSelector/oa:exact ?exact . FILTER(isIRI(?o))
        } ORDER BY ?id ?st LIMIT 1""")[0]
    body = page_of(project_client, f"/source/sentence/{found['id']}")
    text = report.sentence(found["id"]).text
    marked = [m for m in re.findall(r'<p class="quoted" lang="zh">(.*?)</p>', body, re.DOTALL)
              if f"<mark>{html.escape(found['exact'], quote=False)}</mark>" in m]
    assert marked, found
    # the mark sits inside the sentence: take it away and the whole sentence is left
    assert html.unescape(re.sub(r"</?mark>", "", marked[0])) == text
    assert f'href="{local(found["s"])}"' in body and f'href="{local(found["o"])}"' in body
    assert f'href="/ontology#{found["p"].split("#")[1]}"' in body


def test_a_sentence_page_shows_figures_and_names(project_client):
    body = page_of(project_client, "/source/sentence/p03s03", lang="en")
    assert "<mark>其中国家级高新技术企业 7578 家</mark>" in body
    assert 'href="/id/obs/national-high-tech-enterprises-2016"' in body
    assert '<data value="7578">7578</data>' in body
    assert 'href="/id/beijing">Beijing</a>' in body
    assert "Names" in body and "Figure" in body


def test_every_evidence_record_is_listed_on_its_sentence_page(project_client):
    records = rows(project_client, "SELECT ?id ?ev WHERE { ?ev zgo:sentence/zgo:sentenceId ?id }")
    by_sentence: dict[str, set[str]] = {}
    for row in records:
        by_sentence.setdefault(row["id"], set()).add(row["ev"])
    for sentence_id, evidence in by_sentence.items():
        body = page_of(project_client, f"/source/sentence/{sentence_id}")
        for iri in evidence:
            assert f'href="{local(iri)}"' in body, iri
        assert body.count("<mark>") == len(evidence)  # every quote found within its sentence


def test_previous_and_next_links(project_client, report):
    first, second, third = report.sentences[:3]
    body = page_of(project_client, f"/source/sentence/{second.id}")
    assert f'rel="prev" href="/source/sentence/{first.id}"' in body
    assert f'rel="next" href="/source/sentence/{third.id}"' in body
    assert f"{second.start}–{second.end}" in body
    assert 'rel="prev"' not in page_of(project_client, f"/source/sentence/{first.id}")
    assert 'rel="next"' not in page_of(project_client, f"/source/sentence/{report.sentences[-1].id}")


@pytest.mark.parametrize("path", [
    "/source/sentence/p99s99", "/source/sentence/p3s3", "/source/sentence/abc", "/source/sentence/p03s03x",
    "/source/sentence/../../etc/passwd", "/source/sentence/%2e%2e%2fetc%2fpasswd", "/source/sentence/p03s03/extra",
    "/source/sentence/", "/source/sentence/" + "p" * 5000,
])
def test_unknown_or_malformed_ids_are_404(project_client, path):
    response = project_client.get(path)
    assert response.status_code == 404


def test_the_404_page_says_what_was_asked_escaped(project_client):
    response = project_client.get("/source/sentence/<script>alert(1)</script>")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "<script" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_pages_carry_validators_and_no_inline_script(project_client):
    for path in ("/source", "/source/sentence/p03s03"):
        first = project_client.get(path)
        assert "<script" not in first.get_data(as_text=True).lower()
        assert "style=" not in first.get_data(as_text=True)
        assert project_client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_sentence_page_is_reusable_from_the_graph_layer(project_app):
    from zgckg.kg.linked.source_text import sentence_page

    engine = project_app.extensions["zgckg"].engine
    page = sentence_page(engine, "p03s03")
    assert page.sentence.iri == INSTANCES + "report/haidian-park/p03s03"
    assert page.facts >= 6 and all(e.parts and e.parts[1] == e.exact for e in page.evidence)
    assert sentence_page(engine, "p99s99") is None
    assert sentence_page(engine, "> } DROP ALL") is None
