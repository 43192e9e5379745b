"""A private Virtuoso for tests: Debian's virtuoso-opensource-7 run by ``scripts/virtuoso`` in a temporary
directory, on free loopback ports, with a generated dba password.

The server is the system's (``/usr/bin/virtuoso-t``, from ``scripts/install-test-deps``); its ini, grants and
limits are the script's (see docs/virtuoso.md). ``/sparql`` is anonymous and read-only; ``/sparql-auth``
(SPARQL Update) and ``/sparql-graph-crud-auth`` (Graph Store Protocol) take HTTP digest auth as ``user`` with
``password``.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "virtuoso"
VIRTUOSO = "/usr/bin/virtuoso-t"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Virtuoso:
    """One running instance; a context manager that stops it (and removes its directory) on exit."""

    user = "dba"

    def __init__(self, max_rows: int = 10000, max_seconds: int = 60, root: Path | None = None):
        if not Path(VIRTUOSO).exists():
            raise RuntimeError(f"{VIRTUOSO} is missing: run scripts/install-test-deps")
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self._owns_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="zgckg-virtuoso-"))
        self.dir = self.root / "db"
        self.password = secrets.token_hex(12)
        self.http_port = _free_port()
        self.sql_port = _free_port()
        while self.sql_port == self.http_port:
            self.sql_port = _free_port()
        base = f"http://127.0.0.1:{self.http_port}"
        self.base = base
        self.sparql = f"{base}/sparql"
        self.update = f"{base}/sparql-auth"
        self.store = f"{base}/sparql-graph-crud-auth"
        self.started = False

    def start(self) -> "Virtuoso":
        self.started = True
        result = self._run("start", str(self.dir), "--http-port", str(self.http_port), "--sql-port",
                           str(self.sql_port), "--max-rows", str(self.max_rows), "--max-seconds",
                           str(self.max_seconds), "--password", self.password, timeout=120)
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"scripts/virtuoso start failed:\n{result.stdout}{result.stderr}")
        return self

    @property
    def pid(self) -> int | None:
        try:
            return int((self.dir / "virtuoso.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def status(self) -> str:
        return self._run("status", str(self.dir)).stdout.strip()

    def stop(self) -> None:
        if self.started:
            self._run("stop", str(self.dir), timeout=60)
            self.started = False
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def auth(self):
        from requests.auth import HTTPDigestAuth

        return HTTPDigestAuth(self.user, self.password)

    def _run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def __enter__(self) -> "Virtuoso":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
