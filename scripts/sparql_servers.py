"""SPARQL servers run as real subprocesses (``zgckg serve``, ``oxigraph serve``, a private Virtuoso started by
``scripts/virtuoso``) and an HTTP client for them.

Shared by the W3C conformance runner and the endpoint benchmark, so both talk to the servers the same way.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests


@dataclass
class Paths:
    query: str
    update: str
    store: str


DEFAULT_PATHS = {
    "zgckg": Paths("/sparql", "/update", "/store"),
    "oxigraph": Paths("/query", "/update", "/store"),
    # Virtuoso's anonymous (read-only) query endpoint; updates and the graph store with HTTP digest auth
    "virtuoso": Paths("/sparql", "/sparql-auth", "/sparql-graph-crud-auth"),
    "zgckg-virtuoso": Paths("/sparql", "/update", "/store"),
}
VIRTUOSO_SCRIPT = Path(__file__).resolve().parent / "virtuoso"


def venv_command(name: str) -> str:
    """A console script installed next to this interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"`{name}` is not installed (pip install -e '.[bench]')")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Endpoint:
    """One server's query, update and graph store endpoints, over one keep-alive session."""

    name: str
    base_url: str
    paths: Paths
    token: str | None = None
    timeout: float = 60.0
    session: requests.Session = field(default_factory=requests.Session)
    auth: object = None
    """A requests auth object (Virtuoso: HTTP digest) for updates and graph store writes, instead of the token."""
    graph_param: str = "graph"
    """The graph store's parameter naming a graph (Virtuoso's own: ``graph-uri``)."""

    def url(self, path: str) -> str:
        return self.base_url + path

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def query(self, text: str, accept: str, method: str = "post-form", dataset=()) -> requests.Response:
        """``dataset``: protocol parameters (``default-graph-uri``, ``named-graph-uri``) as (name, value) pairs."""
        headers = {"Accept": accept}
        url = self.url(self.paths.query)
        if method == "get":
            return self.session.get(url, params=[("query", text), *dataset], headers=headers, timeout=self.timeout)
        if method == "post-direct":
            headers["Content-Type"] = "application/sparql-query; charset=utf-8"
            return self.session.post(url, params=list(dataset), data=text.encode("utf-8"), headers=headers,
                                     timeout=self.timeout)
        return self.session.post(url, data=[("query", text), *dataset], headers=headers, timeout=self.timeout)

    def update(self, text: str, params=()) -> requests.Response:
        headers = {"Content-Type": "application/sparql-update; charset=utf-8", **self._auth()}
        return self.session.post(
            self.url(self.paths.update), params=list(params), data=text.encode("utf-8"), headers=headers,
            timeout=self.timeout, auth=self.auth,
        )

    def post_graph(self, body: bytes, content_type: str, graph: str | None) -> requests.Response:
        """Graph Store Protocol POST: merge ``body`` into the default graph or the named ``graph``."""
        params = {self.graph_param: graph} if graph else {"default": ""}
        headers = {"Content-Type": content_type, **self._auth()}
        return self.session.post(
            self.url(self.paths.store), params=params, data=body, headers=headers, timeout=self.timeout,
            auth=self.auth,
        )


class ServerProcess:
    """A server subprocess on a free local port; a context manager that waits until it answers."""

    def __init__(self, name: str, argv: list[str], port: int, paths: Paths, token: str | None = None,
                 env: dict[str, str] | None = None):
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.paths = paths
        self.token = token
        self.log = tempfile.TemporaryFile()
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, timeout: float = 60.0) -> Endpoint:
        return Endpoint(self.name, self.base_url, self.paths, self.token, timeout)

    def __enter__(self) -> "ServerProcess":
        env = {**os.environ, **self.env} if self.env else None
        self.process = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self._wait_until_ready()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def _wait_until_ready(self, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            try:
                requests.get(self.base_url + self.paths.query, params={"query": "ASK {}"}, timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {limit:g} s:\n{self.output()[-3000:]}")


def zgckg_server(store: Path, paths: Paths, *, token: str | None, union: bool, extra: list[str] = ()) -> ServerProcess:
    port = free_port()
    argv = [venv_command("zgckg"), "serve", "--store", str(store), "--create", "--port", str(port)]
    if not union:
        argv.append("--no-union-default-graph")
    if token:
        argv += ["--write-token", token]
    return ServerProcess("zgckg", argv + list(extra), port, paths, token)


def oxigraph_server(location: Path | None, paths: Paths, *, union: bool, extra: list[str] = ()) -> ServerProcess:
    """``oxigraph serve`` on the store at ``location``, or on an in-memory store when it is None."""
    port = free_port()
    argv = [venv_command("oxigraph"), "serve", "--bind", f"127.0.0.1:{port}"]
    if location is not None:
        argv += ["--location", str(location)]
    if union:
        argv.append("--union-default-graph")
    return ServerProcess("oxigraph", argv + list(extra), port, paths)


def zgckg_remote_server(engine: str, user: str, password: str, paths: Paths, *, token: str, union: bool,
                        extra: list[str] = ()) -> ServerProcess:
    """``zgckg serve --engine URL``: zgckg over a remote store, its credentials in the environment."""
    port = free_port()
    argv = [venv_command("zgckg"), "serve", "--engine", engine, "--port", str(port), "--write-token", token]
    if not union:
        argv.append("--no-union-default-graph")
    env = {"ZGCKG_ENGINE_USER": user, "ZGCKG_ENGINE_PASSWORD": password}
    return ServerProcess("zgckg-virtuoso", argv + list(extra), port, paths, token, env)


class VirtuosoProcess:
    """A private Virtuoso (``scripts/virtuoso``) in a temporary directory, on free loopback ports, with a
    generated dba password; a context manager that stops it and removes the directory."""

    user = "dba"

    def __init__(self, max_rows: int = 10000, max_seconds: int = 60):
        self.root = Path(tempfile.mkdtemp(prefix="virtuoso-"))
        self.password = secrets.token_hex(12)
        self.http_port = free_port()
        self.sql_port = free_port()
        while self.sql_port == self.http_port:
            self.sql_port = free_port()
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self.started = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def auth(self):
        return requests.auth.HTTPDigestAuth(self.user, self.password)

    def endpoint(self, timeout: float = 60.0) -> Endpoint:
        return Endpoint("virtuoso", self.base_url, DEFAULT_PATHS["virtuoso"], None, timeout, auth=self.auth(),
                        graph_param="graph-uri")

    def _script(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run([str(VIRTUOSO_SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def __enter__(self) -> "VirtuosoProcess":
        self.started = True
        result = self._script("start", str(self.root / "db"), "--http-port", str(self.http_port), "--sql-port",
                              str(self.sql_port), "--max-rows", str(self.max_rows), "--max-seconds",
                              str(self.max_seconds), "--password", self.password, timeout=120)
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"scripts/virtuoso start failed:\n{result.stdout}{result.stderr}")
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.started:
            self._script("stop", str(self.root / "db"), timeout=60)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)
