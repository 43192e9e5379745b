"""Whatever the data says, pages show it as text: labels, notes and quotes are escaped everywhere."""

import json
import re

import pyoxigraph as ox
import pytest

from zgckg.kg.store import StoreDir

EVIL = "<script>alert(1)</script>"
DATA = f"""
@prefix zg: <https://w3id.org/zgckg/id/> .
@prefix zgo: <https://w3id.org/zgckg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/zgckg/graph/asserted> {{
  zg:evil a zgo:Enterprise ; rdfs:label "{EVIL}"@zh , "x\\"><img src=x onerror=alert(2)>"@en ;
      skos:altLabel "</script><script>alert(3)</script>"@zh ;
      rdfs:comment "<iframe src=//example.org>"@zh ;
      zgo:locatedIn zg:nowhere .
  zg:nowhere rdfs:label "<b>nowhere</b>"@zh .
}}
<https://w3id.org/zgckg/graph/ontology> {{ zg:dataset rdfs:label "&amp; <i>"@zh . }}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    store = StoreDir(tmp_path_factory.mktemp("evil") / "store")
    store.write(lambda s: s.load(DATA.encode(), format=ox.RdfFormat.TRIG), copy_current=False)
    app = create_app(Config(store=store.root, workers=1), store=store)
    yield app.test_client()
    close_app(app)


def test_labels_notes_and_links_are_text_on_the_page(client):
    page = client.get("/id/evil?lang=zh").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;iframe" in page and "&lt;b&gt;nowhere&lt;/b&gt;" in page
    for raw in ("<script>alert", "<iframe", "<img", "<b>nowhere"):
        assert raw not in page
    english = client.get("/id/evil?lang=en").get_data(as_text=True)
    assert "<img" not in english and "&#34;&gt;&lt;img" in english


def test_the_embedded_json_ld_cannot_end_its_script_block(client):
    page = client.get("/id/evil").get_data(as_text=True)
    blocks = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)
    assert len(blocks) == 1  # the data block, and nothing the data opened
    data = json.loads(blocks[0])
    assert {"@value": "</script><script>alert(3)</script>", "@language": "zh"} in data["alternateName"]


def test_search_results_and_the_query_echoed_are_text(client):
    page = client.get("/search", query_string={"q": "<script>"}).get_data(as_text=True)
    assert 'value="&lt;script&gt;"' in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)" in page  # the match itself, escaped


def test_a_404_echoes_the_slug_as_text(client):
    response = client.get("/id/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert response.status_code == 404
    assert "<script>alert" not in response.get_data(as_text=True)
