"""Downloads, the dataset description, graph IRIs, robots.txt and the sitemap over real HTTP, as a client
on the network sees them: concurrent first requests share one build, files arrive byte for byte, URLs are
absolute on the host the client used, and raw ``..`` paths never reach a file."""

import gzip
import hashlib
import http.client
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
import requests

from conftest import LiveServer

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DATASET = rdflib.URIRef("https://w3id.org/zgckg/id/dataset")


@pytest.fixture(scope="module")
def server(project_built, tmp_path_factory):
    """The project's store behind a real HTTP server, with a dumps directory of its own, not built yet."""
    from zgckg.app import close_app, create_app

    app = create_app(project_built.with_values({"dumps_dir": tmp_path_factory.mktemp("dumps"), "workers": 1}))
    live = LiveServer(app)
    yield live.url
    live.close()
    close_app(app)


@pytest.fixture(scope="module")
def index(server):
    """The listing, asked by several clients at once while nothing is built: they all get the same one."""
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: requests.get(server + "/dumps/index.json", timeout=60), range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    listings = [a.json() for a in answers]
    assert all(listing == listings[0] for listing in listings)
    return listings[0]


def sparql_count(server: str, text: str) -> int:
    answer = requests.post(server + "/sparql", data={"query": text},
                           headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def raw_get(server: str, path: str) -> int:
    """The status of a GET of ``path`` sent exactly as written (no client normalises its dot segments)."""
    address = urlsplit(server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_every_dump_streams_byte_for_byte_with_its_checksum(server, index):
    assert all(f["url"].startswith(server + "/dumps/") for f in index["files"])
    for file in index["files"]:
        with requests.get(file["url"], stream=True, timeout=30) as answer:
            assert answer.status_code == 200
            assert answer.headers["Content-Type"] == "application/gzip"
            assert "Content-Encoding" not in answer.headers  # the client keeps the .gz as it is
            assert int(answer.headers["Content-Length"]) == file["bytes"]
            body = b"".join(answer.iter_content(64 * 1024))
        assert hashlib.sha256(body).hexdigest() == file["sha256"]
        assert len(gzip.decompress(body)) > 0


def test_the_whole_store_reloads_with_every_quad_the_endpoint_counts(server, index):
    body = requests.get(f"{server}/dumps/zgckg-{index['version']}-all.nq.gz", timeout=30).content
    store = ox.Store()
    store.load(gzip.decompress(body), ox.RdfFormat.N_QUADS)
    assert len(store) == sparql_count(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")


def test_revalidation_and_head(server, index):
    url = index["files"][0]["url"]
    first = requests.get(url, timeout=30)
    assert requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=30).status_code == 304
    assert requests.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}, timeout=30).status_code == 304
    head = requests.head(url, timeout=30)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == index["files"][0]["bytes"]


@pytest.mark.parametrize("path", [
    "/dumps/../pyproject.toml", "/dumps/../../etc/passwd", "/dumps/..%2f..%2fetc%2fpasswd", "/dumps/%2e%2e/x",
    "/dumps/metadata.json", "/graph/../sparql", "/graph/..%2fasserted", "/graph/unknown",
])
def test_raw_dot_segments_and_unknown_names_are_404(server, index, path):
    assert raw_get(server, path) == 404


def test_void_uses_the_host_the_client_used_and_its_counts_hold(server, index):
    answer = requests.get(server + "/.well-known/void", headers={"Accept": "application/n-triples"}, timeout=60)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/n-triples")
    graph = rdflib.Graph().parse(data=answer.text, format="nt")
    assert graph.value(DATASET, VOID.sparqlEndpoint) == rdflib.URIRef(server + "/sparql")
    assert {str(u) for u in graph.objects(None, DCAT.downloadURL)} == {f["url"] for f in index["files"]}
    assert int(graph.value(DATASET, VOID.triples)) == sparql_count(
        server, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")


@pytest.mark.parametrize("accept", ["application/x-absurd", "image/*", "text/turtle;q=0", "\x01\x02;;;q=="])
def test_absurd_accept_headers_are_406_or_the_default_never_500(server, accept):
    answer = requests.get(server + "/.well-known/void", headers={"Accept": accept}, timeout=60)
    assert answer.status_code in (200, 406)
    if answer.status_code == 200:
        assert answer.headers["Content-Type"].startswith("text/turtle")
    graph = requests.get(server + "/graph/asserted", headers={"Accept": accept}, timeout=60)
    assert graph.status_code in (200, 406)


def test_a_graph_iri_is_streamed_to_an_rdf_client(server):
    with requests.get(server + "/graph/asserted", headers={"Accept": "application/n-triples"}, stream=True,
                      timeout=30) as answer:
        assert answer.status_code == 200 and "Accept" in answer.headers["Vary"]
        triples = list(ox.parse(answer.content, ox.RdfFormat.N_TRIPLES))
    assert len(triples) == sparql_count(
        server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/zgckg/graph/asserted> { ?s ?p ?o } }")
    page = requests.get(server + "/graph/asserted", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and "zgckg-" in page.text


def test_robots_and_sitemap_name_this_host(server):
    robots = requests.get(server + "/robots.txt", timeout=30).text
    assert f"Sitemap: {server}/sitemap.xml" in robots.splitlines()
    sitemap = requests.get(server + "/sitemap.xml", timeout=30)
    assert sitemap.status_code == 200
    assert f"<loc>{server}/id/haidian-park</loc>" in sitemap.text
    assert f"<loc>{server}/dumps/</loc>" in sitemap.text
