"""The query workbench page (/query) through the test client: every analyst query offered as an example in
the reader's language, the prefixes and the examples in the page's JSON data block, a shared query in the
editor's fallback form, and the vendored scripts and styles it loads served with the right types."""

import json
import re
from html import unescape

import pytest

from zgckg.config import Config
from zgckg.kg.queries import expand, load_queries
from zgckg.namespaces import PREFIXES

QUERIES = load_queries(Config().queries_dir)


def data_block(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="wb-data">(.*?)</script>', html, re.S)
    assert found, "the page has no data block"
    return json.loads(found.group(1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_offers_every_analyst_query_in_the_readers_language(project_client, lang):
    response = project_client.get(f"/query?lang={lang}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    options = dict(re.findall(r'<option value="([\w-]+)" title="[^"]*">([^<]*)</option>', html))
    assert set(options) == set(QUERIES) and len(QUERIES) > 20
    for name, query in QUERIES.items():
        assert unescape(options[name]) == query.title(lang)
        assert query.question(lang) in unescape(html)
        assert f'data-example="{name}"' in html
    other = "en" if lang == "zh" else "zh"
    shown = unescape(html.split('<script type="application/json"')[0])  # the data block holds the files' texts
    assert not any(q.title(other) in shown for q in QUERIES.values() if q.title(other) != q.title(lang))


def test_the_data_block_holds_the_prefixes_and_the_examples(project_client):
    response = project_client.get("/query?lang=en")
    data = data_block(response.get_data(as_text=True))
    assert data["prefixes"] == PREFIXES
    assert data["endpoint"] == "/sparql" and data["lang"] == "en" and data["query"] == ""
    assert set(data["examples"]) == set(QUERIES)
    for name, query in QUERIES.items():
        assert data["examples"][name]["text"] == query.text
        assert data["examples"][name]["params"] == {k: expand(v) for k, v in query.params.items()}
    assert data["examples"]["evidence-for-entity"]["params"] == {"entity": "https://w3id.org/zgckg/id/beijing-ip-court"}


def test_the_data_block_cannot_end_early(project_client):
    """A shared query holding ``</script>`` stays inside the block: ``<`` is escaped in it."""
    text = 'SELECT ("</script><script>alert(1)</script>" AS ?x) {}'
    response = project_client.get("/query", query_string={"query": text})
    html = response.get_data(as_text=True)
    block = re.search(r'id="wb-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and json.loads(block)["query"] == text
    assert "<script>alert" not in html


def test_a_shared_query_opens_in_the_editor(project_client):
    text = "SELECT ?s WHERE { ?s a zgo:Enterprise } LIMIT 3"
    response = project_client.get("/query", query_string={"query": text})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert data_block(html)["query"] == text
    textarea = re.search(r'<textarea id="wb-text" name="query"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert unescape(textarea) == text
    # the site's search box is not filled with it
    assert 'name="q" maxlength="200" value=""' in html


def test_a_shared_query_longer_than_the_endpoint_takes_is_refused(project_client, project_app):
    limit = project_app.extensions["zgckg"].config.max_query_length
    assert project_client.get("/query", query_string={"query": "#" * (limit + 1)}).status_code == 400


def test_the_page_keeps_the_content_policy(project_client):
    response = project_client.get("/query")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe" not in policy
    html = response.get_data(as_text=True)
    assert "style=" not in html and "<style" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert not re.search(r"\son\w+=", html)  # no inline event handlers
    assert 'href="/query"' in html.split("<main>")[0]  # the navigation links the page


ASSETS = {
    "/static/vendor/yasgui/yasgui.min.js": "text/javascript",
    "/static/vendor/yasgui/yasgui.min.css": "text/css",
    "/static/vendor/chart.js/chart.umd.min.js": "text/javascript",
    "/static/vendor/cytoscape/cytoscape.min.js": "text/javascript",
    "/static/js/workbench.js": "text/javascript",
    "/static/workbench.css": "text/css",
}


@pytest.mark.parametrize("path", ASSETS)
def test_the_page_loads_its_scripts_and_styles_from_here(project_client, path):
    html = project_client.get("/query").get_data(as_text=True)
    assert f'"{path}"' in html
    response = project_client.get(path)
    assert response.status_code == 200
    assert response.mimetype in (ASSETS[path], "application/javascript" if ASSETS[path] == "text/javascript" else "")
    assert len(response.get_data()) > 500
    response.close()


def test_the_page_names_no_other_host(project_client):
    """Offline by construction: every script and stylesheet is local."""
    html = project_client.get("/query").get_data(as_text=True)
    for attrs in re.findall(r"<(?:script|link)([^>]*)>", html):
        assert "//" not in attrs, attrs


def test_the_page_is_cached_by_version_without_a_query(project_client):
    first = project_client.get("/query?lang=en")
    etag = first.headers.get("ETag")
    assert etag
    assert project_client.get("/query?lang=en", headers={"If-None-Match": etag}).status_code == 304
    assert "ETag" not in project_client.get("/query", query_string={"query": "ASK {}"}).headers
