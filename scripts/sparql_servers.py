"""SPARQL servers run as real subprocesses (``zgckg serve``, ``oxigraph serve``) and an HTTP client for them.

Shared by the W3C conformance runner and the endpoint benchmark, so both talk to the servers the same way.
"""

from __future__ import annotations

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
}


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

    def url(self, path: str) -> str:
        return self.base_url + path

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def query(self, text: str, accept: str, method: str = "post-form") -> requests.Response:
        headers = {"Accept": accept}
        url = self.url(self.paths.query)
        if method == "get":
            return self.session.get(url, params={"query": text}, headers=headers, timeout=self.timeout)
        if method == "post-direct":
            headers["Content-Type"] = "application/sparql-query; charset=utf-8"
            return self.session.post(url, data=text.encode("utf-8"), headers=headers, timeout=self.timeout)
        return self.session.post(url, data={"query": text}, headers=headers, timeout=self.timeout)

    def update(self, text: str) -> requests.Response:
        headers = {"Content-Type": "application/sparql-update; charset=utf-8", **self._auth()}
        return self.session.post(
            self.url(self.paths.update), data=text.encode("utf-8"), headers=headers, timeout=self.timeout
        )

    def post_graph(self, body: bytes, content_type: str, graph: str | None) -> requests.Response:
        """Graph Store Protocol POST: merge ``body`` into the default graph or the named ``graph``."""
        params = {"graph": graph} if graph else {"default": ""}
        headers = {"Content-Type": content_type, **self._auth()}
        return self.session.post(
            self.url(self.paths.store), params=params, data=body, headers=headers, timeout=self.timeout
        )


class ServerProcess:
    """A server subprocess on a free local port; a context manager that waits until it answers."""

    def __init__(self, name: str, argv: list[str], port: int, paths: Paths, token: str | None = None):
        self.name = name
        self.argv = argv
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
        self.process = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT)
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
