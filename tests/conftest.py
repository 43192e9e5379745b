"""Shared fixtures."""

from pathlib import Path

import pytest

from zgckg.kg.report import Report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def report() -> Report:
    return Report.read(ROOT / "data" / "source" / "haidian-park-report.txt")


# --- build pipeline: the tiny fixture ontology and data in tests/data/mini --------------------------------

MINI = ROOT / "tests" / "data" / "mini"


def mini_settings(store: Path, data_dir: Path = MINI / "data"):
    """A Config for the mini fixture: its own ontology and data, the real report, a store of its own."""
    from zgckg.config import Config

    return Config(
        store=store,
        ontology_dir=MINI / "ontology",
        data_dir=data_dir,
        source_file=ROOT / "data" / "source" / "haidian-park-report.txt",
    )


@pytest.fixture
def mini_config(tmp_path):
    """Settings for building the mini fixture into a fresh store (a test may build, load and break it)."""
    return mini_settings(tmp_path / "store")


@pytest.fixture(scope="session")
def mini_built(tmp_path_factory):
    """Settings of a store built once from the mini fixture; tests only read it."""
    from zgckg.kg.build import build

    config = mini_settings(tmp_path_factory.mktemp("mini") / "store")
    build(config)
    return config


@pytest.fixture(scope="session")
def project_built(tmp_path_factory):
    """Settings of a store built once from the project's own ontology, data and report; tests only read it."""
    from zgckg.config import Config
    from zgckg.kg.build import build

    root = tmp_path_factory.mktemp("project")
    config = Config(store=root / "store", dumps_dir=root / "dumps")
    build(config)
    return config


# --- the SPARQL endpoint: small stores, apps and live servers ----------------------------------------


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

WEB_DATA = ROOT / "tests" / "data" / "web"
WEB_TOKEN = "test-write-token"


def build_web_store(root: Path):
    """A store directory holding tests/data/web/dataset.trig as its first generation."""
    import pyoxigraph as ox

    from zgckg.kg.store import StoreDir

    store_dir = StoreDir(root)
    store_dir.write(lambda store: store.load(path=str(WEB_DATA / "dataset.trig"), format=ox.RdfFormat.TRIG),
                    copy_current=False)
    return store_dir


class LiveServer:
    """A real HTTP server (werkzeug, threaded) for an app, on a free local port."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(scope="session")
def web_store(tmp_path_factory):
    return build_web_store(tmp_path_factory.mktemp("web-store"))


@pytest.fixture(scope="session")
def web_app(web_store):
    """The read-only app: union default graph, no write token, nothing on the SERVICE allow-list."""
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    app = create_app(Config(store=web_store.root, workers=2, timeout=20.0), store=web_store)
    yield app
    close_app(app)


@pytest.fixture
def web_client(web_app):
    return web_app.test_client()


@pytest.fixture(scope="session")
def live_server(web_app):
    server = LiveServer(web_app)
    yield server.url
    server.close()


@pytest.fixture(scope="session")
def project_app(project_built):
    """The read-only app over the project's own built store: the pages, dumps and descriptions of the real graph."""
    from zgckg.app import close_app, create_app

    app = create_app(project_built)
    yield app
    close_app(app)


@pytest.fixture
def project_client(project_app):
    return project_app.test_client()


@pytest.fixture(scope="session")
def project_server(project_app):
    """A real HTTP server for ``project_app``: its base URL."""
    server = LiveServer(project_app)
    yield server.url
    server.close()


@pytest.fixture(scope="module")
def write_app(tmp_path_factory):
    """An app with writes on (token WEB_TOKEN), no union default graph, loopback names on the allow-list
    (which must still refuse them: they resolve to loopback addresses)."""
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    store_dir = build_web_store(tmp_path_factory.mktemp("web-write-store"))
    config = Config(store=store_dir.root, workers=1, timeout=20.0, write_token=WEB_TOKEN,
                    union_default_graph=False, service_allowlist=("localhost", "127.0.0.1"))
    app = create_app(config, store=store_dir)
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def write_server(write_app):
    server = LiveServer(write_app)
    yield server.url
    server.close()


@pytest.fixture
def fresh_web_store(tmp_path):
    """A store directory of its own, for tests that write."""
    return build_web_store(tmp_path / "store")


# --- a remote SPARQL endpoint for SERVICE tests ----------------------------------------------------------

class SparqlEndpoint:
    """A real SPARQL 1.1 Protocol endpoint on a free loopback port: pyoxigraph over an in-memory store.

    ``requests`` holds every request it got (method, path, headers, form fields). Set ``reply`` to a
    (status, headers, body) triple to send that instead of an answer (a broken or redirecting remote),
    and ``results_format`` to a pyoxigraph results format name to answer in another syntax.
    """

    def __init__(self, turtle: str = ""):
        import http.server
        import threading

        import pyoxigraph as ox

        self.store = ox.Store()
        if turtle:
            self.store.load(turtle.encode(), ox.RdfFormat.TURTLE)
        self.requests: list[dict] = []
        self.reply: tuple[int, dict, bytes] | None = None
        self.results_format = "JSON"
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                endpoint._answer(self)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _answer(self, handler) -> None:
        from urllib.parse import parse_qs

        import pyoxigraph as ox

        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.requests.append({"method": "POST", "path": handler.path, "headers": dict(handler.headers), "form": form})
        status, headers, content = self.reply or self._run(form.get("query", ""), ox)
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    def _run(self, query: str, ox) -> tuple[int, dict, bytes]:
        try:
            results = self.store.query(query)
        except SyntaxError as exc:
            return 400, {"Content-Type": "text/plain"}, str(exc).encode()
        fmt = getattr(ox.QueryResultsFormat, self.results_format)
        return 200, {"Content-Type": fmt.media_type}, results.serialize(format=fmt)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def remote_network(*stand_ins: tuple[str, int]):
    """A Network where each (host name, loopback port) pair resolves to its own public-looking address,
    and a connection to that address reaches the loopback port: the guard checks what it would check for
    a real public host, while the bytes go to a server the test runs."""
    from zgckg.kg.outbound import Network

    addresses = [f"93.184.215.{14 + i}" for i in range(len(stand_ins))]
    return Network(
        hosts=tuple((name, (address,)) for (name, _), address in zip(stand_ins, addresses)),
        detours=tuple((address, ("127.0.0.1", port)) for (_, port), address in zip(stand_ins, addresses)),
    )


def sparql_rows(client, text: str) -> list[dict]:
    """The rows of a SELECT sent to an app's /sparql (the response closed: a large one is streamed from a file)."""
    response = client.get("/sparql", query_string={"query": text}, headers={"Accept": "application/sparql-results+json"})
    try:
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["results"]["bindings"]
    finally:
        response.close()


# --- pages in a real browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Selenium (see tests/browser.py), one per test module."""
    from browser import start_browser

    driver = start_browser()
    yield driver
    driver.quit()


# --- a private Virtuoso (scripts/virtuoso) ------------------------------------------------------------


@pytest.fixture(scope="session")
def virtuoso():
    """Debian's Virtuoso on free loopback ports, one per session (see tests/virtuoso.py): anonymous read-only
    ``sparql``, digest-authenticated ``update`` and ``store``, at most 10,000 rows per result."""
    from virtuoso import Virtuoso

    with Virtuoso(max_rows=10000) as server:
        yield server


def engine_credentials(virtuoso) -> dict:
    """The environment of a zgckg process writing to ``virtuoso``: credentials never go on a command line."""
    import os

    return dict(os.environ, ZGCKG_ENGINE_USER=virtuoso.user, ZGCKG_ENGINE_PASSWORD=virtuoso.password)


REMOTE_TOKEN = "remote-write-token"


@pytest.fixture(scope="session")
def virtuoso_published(virtuoso):
    """The session's Virtuoso with the project's graphs published by `zgckg build --engine`."""
    import subprocess
    import sys

    zgckg = str(Path(sys.executable).parent / "zgckg")
    done = subprocess.run([zgckg, "build", "--engine", virtuoso.sparql], env=engine_credentials(virtuoso),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return virtuoso


@pytest.fixture(scope="session")
def remote_app(virtuoso_published):
    """The app over the published Virtuoso (writes on, with REMOTE_TOKEN)."""
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    with pytest.MonkeyPatch.context() as patch:
        for name, value in engine_credentials(virtuoso_published).items():
            if name.startswith("ZGCKG_ENGINE_"):
                patch.setenv(name, value)
        app = create_app(Config(engine=virtuoso_published.sparql, write_token=REMOTE_TOKEN))
        yield app
        close_app(app)


@pytest.fixture(scope="session")
def remote_server(remote_app):
    """A real HTTP server for ``remote_app``: its base URL."""
    server = LiveServer(remote_app)
    yield server.url
    server.close()
