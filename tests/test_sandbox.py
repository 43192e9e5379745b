"""Query and update workers run without the network: a seccomp filter refuses every socket but a local one.

A filter cannot be removed and would hold for the rest of the session, so every one is installed in a child
process; this process listens on loopback (the canary) and counts the connections that reach it. Each check
of the filter runs once without it too, so a canary that sees nothing means the filter stopped the
connection, not that the probe never tried.
"""

import errno
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading

import pytest
from click.testing import CliRunner

from zgckg.errors import SandboxUnavailable, ZgckgError
from zgckg.kg.executor import QueryJob, WorkerPool
from zgckg.kg.executor.sandbox import _bindings

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="seccomp is Linux's")


class Canary:
    """A loopback listener that counts the connections made to it, closing each at once."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self._count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._count += 1
            connection.close()

    def connections(self) -> int:
        """Every connection made so far, those still waiting in the backlog included; closes the canary."""
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join()
            self.listener.setblocking(False)
            while True:
                try:
                    connection, _ = self.listener.accept()
                except BlockingIOError:
                    break
                self._count += 1
                connection.close()
            self.listener.close()
        return self._count


@pytest.fixture
def canary():
    listener = Canary()
    yield listener
    listener.connections()


def run_child(code: str, *args) -> dict:
    """Run ``code`` in a fresh interpreter; what it printed last, as JSON."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def seccomp_filters(pid: int) -> int:
    """How many seccomp filters the process runs under (Linux 5.9 and later say so in /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Seccomp_filters:"):
                return int(line.split()[1])
    pytest.skip("this kernel does not count seccomp filters in /proc/PID/status")


DENIED = ["PermissionError", errno.EACCES]

SOCKETS = """
    import ctypes, json, os, socket, sys
    from zgckg.kg.executor.sandbox import drop_network

    def outcome(make, close=lambda made: made.close()):
        try:
            made = make()
        except OSError as exc:
            return [type(exc).__name__, exc.errno]
        close(made)
        return "ok"

    def io_uring_setup():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        fd = libc.syscall(425, 1, ctypes.create_string_buffer(120))  # the same number on every architecture
        if fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        return fd

    def unix_pair():
        a, b = socket.socketpair()
        a.sendall(b"ping")
        assert b.recv(4) == b"ping"
        return a, b

    if sys.argv[1] == "sandboxed":
        drop_network()
    port = int(sys.argv[2])
    print(json.dumps({
        "inet": outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        "inet6": outcome(lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM)),
        "udp": outcome(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
        "netlink": outcome(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)),
        "packet": outcome(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)),
        "connect": outcome(lambda: socket.create_connection(("127.0.0.1", port), timeout=5)),
        "io_uring": outcome(io_uring_setup, os.close),
        "unix": outcome(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
        "unix_pair": outcome(unix_pair, lambda pair: [s.close() for s in pair]),
    }))
"""


def test_without_the_filter_the_probe_reaches_the_canary(canary):
    found = run_child(SOCKETS, "open", canary.port)
    assert found["inet"] == found["connect"] == found["unix_pair"] == "ok"
    assert canary.connections() == 1
    # nothing else answers EACCES, so below it can only come from our filter
    assert all(found[name] != DENIED for name in ("inet6", "udp", "netlink", "packet", "io_uring"))


def test_a_sandboxed_process_opens_no_network_socket_and_reaches_nothing(canary):
    found = run_child(SOCKETS, "sandboxed", canary.port)
    for name in ("inet", "inet6", "udp", "netlink", "packet", "connect", "io_uring"):
        assert found[name] == DENIED, name
    assert found["unix"] == found["unix_pair"] == "ok"  # multiprocessing may need local sockets
    assert canary.connections() == 0


OXIGRAPH_SERVICE = """
    import json, sys
    import pyoxigraph as ox
    from zgckg.kg.executor.sandbox import drop_network

    if sys.argv[1] == "sandboxed":
        drop_network()
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:%s/x> { ?a ?b ?c } }" % sys.argv[2]
    try:
        print(json.dumps({"rows": len(list(ox.Store().query(query)))}))
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


def test_pyoxigraph_service_connects_without_the_filter(canary):
    found = run_child(OXIGRAPH_SERVICE, "open", canary.port)
    assert "error" in found  # the canary hangs up
    assert canary.connections() >= 1


def test_pyoxigraph_service_in_a_sandboxed_process_cannot_connect(canary):
    found = run_child(OXIGRAPH_SERVICE, "sandboxed", canary.port)
    assert found["error"] == "PermissionError", found
    assert canary.connections() == 0


def test_pool_workers_run_under_the_filter_unless_the_network_is_allowed(web_store):
    pools = {network: WorkerPool(web_store.root, 1, network=network).start() for network in (False, True)}
    try:
        own = seccomp_filters(os.getpid())
        assert [seccomp_filters(pid) for pid in pools[False].pids()] == [own + 1]
        assert [seccomp_filters(pid) for pid in pools[True].pids()] == [own]
    finally:
        for pool in pools.values():
            pool.close()


def test_service_sent_straight_to_a_worker_reaches_nothing(web_store, canary):
    pool = WorkerPool(web_store.root, 1).start()
    try:
        job = QueryJob(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{canary.port}/x> {{ ?a ?b ?c }} }}",
                       web_store.version())
        with pytest.raises(ZgckgError):
            pool.run(job, timeout=20)
        answer = pool.run(QueryJob("ASK { ?s ?p ?o }", web_store.version()), timeout=20)
        assert json.loads(answer.body)["boolean"] is True  # the worker still answers what needs no network
    finally:
        pool.close()
    assert canary.connections() == 0


def test_missing_bindings_are_reported_with_the_opt_out():
    with pytest.raises(SandboxUnavailable) as raised:
        _bindings("zgckg_no_such_seccomp_bindings")
    message = str(raised.value)
    assert "zgckg_no_such_seccomp_bindings" in message
    assert "--unsafe-worker-network" in message and "ZGCKG_WORKER_NETWORK=1" in message


# A process that may not install seccomp filters, as in a container without seccomp support: its children
# inherit the refusal, so the workers its pools start cannot drop the network, for real.
NO_SECCOMP = """
    import errno, json, socket, sys, time

    def forbid_seccomp_filters():
        import pyseccomp as seccomp

        refusal = seccomp.SyscallFilter(seccomp.ALLOW)
        refusal.add_rule(seccomp.ERRNO(errno.EPERM), "seccomp")
        refusal.add_rule(seccomp.ERRNO(errno.EPERM), "prctl", seccomp.Arg(0, seccomp.EQ, 22))  # PR_SET_SECCOMP
        refusal.load()

    def error_of(call):
        try:
            call()
        except Exception as exc:
            return [type(exc).__name__, str(exc)]
        return None

    forbid_seccomp_filters()
    from zgckg.app import close_app, create_app
    from zgckg.config import Config
    from zgckg.kg.executor import QueryJob, WorkerPool
    from zgckg.kg.executor.sandbox import drop_network
    from zgckg.kg.store import StoreDir

    store_dir = StoreDir(sys.argv[1])
    found = {"drop_network": error_of(drop_network), "inet_after": error_of(lambda: socket.socket().close())}
    started = time.monotonic()
    found["pool"] = error_of(lambda: WorkerPool(store_dir.root, 2).start())
    found["pool_seconds"] = time.monotonic() - started
    found["app"] = error_of(lambda: create_app(Config(store=store_dir.root, workers=1, write_token="t"), store=store_dir))
    app = create_app(Config(store=store_dir.root, workers=1, worker_network=True), store=store_dir)
    response = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                                     headers={"Accept": "application/sparql-results+json"})
    found["open_app"] = [response.status_code, response.get_json()]
    close_app(app)
    print(json.dumps(found))
"""


def test_where_seccomp_is_refused_the_server_does_not_start_and_says_why(web_store):
    found = run_child(NO_SECCOMP, web_store.root)
    kind, message = found["drop_network"]
    assert kind == "SandboxUnavailable" and "--unsafe-worker-network" in message
    assert found["inet_after"] is None  # nothing half-installed
    kind, message = found["pool"]
    assert kind == "ServeError"
    assert message.startswith("no reader worker could start: cannot keep the query and update workers off the network")
    assert "--unsafe-worker-network" in message and "ZGCKG_WORKER_NETWORK=1" in message
    assert found["pool_seconds"] < WorkerPool.START_TIMEOUT / 2  # said at once, not after waiting for workers
    kind, message = found["app"]
    assert kind == "ServeError" and "--unsafe-worker-network" in message
    assert found["open_app"] == [200, {"head": {}, "boolean": True}]  # the opt-out does start


def test_the_app_answers_with_sandboxed_workers(web_store):
    from zgckg.app import close_app, create_app
    from zgckg.config import Config

    app = create_app(Config(store=web_store.root, workers=1, worker_network=False, write_token="t"), store=web_store)
    try:
        response = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                                         headers={"Accept": "application/sparql-results+json"})
        assert (response.status_code, response.get_json()) == (200, {"head": {}, "boolean": True})
        runtime = app.extensions["zgckg"]
        own = seccomp_filters(os.getpid())
        assert {seccomp_filters(pid) for pid in runtime.engine.readers.pids() + runtime.engine.writer.pids()} == {own + 1}
    finally:
        close_app(app)


@pytest.mark.parametrize("args, environ, expected", [
    ([], {}, False),
    (["--unsafe-worker-network"], {}, True),
    ([], {"ZGCKG_WORKER_NETWORK": "1"}, True),
], ids=["default", "flag", "environment"])
def test_serve_passes_the_opt_out_to_the_config(monkeypatch, tmp_path, args, environ, expected):
    from zgckg import cli
    from zgckg.web import server

    seen = []
    monkeypatch.setattr(server, "serve", lambda config, dev=False: seen.append(config))
    monkeypatch.delenv("ZGCKG_WORKER_NETWORK", raising=False)
    result = CliRunner(env=environ).invoke(cli.main, ["serve", "--store", str(tmp_path / "store"), "--create", *args])
    assert result.exit_code == 0, result.output
    assert [config.worker_network for config in seen] == [expected]


SERVE_WITHOUT_SECCOMP = """
    import contextlib, errno, io, json, sys

    import pyseccomp as seccomp

    refusal = seccomp.SyscallFilter(seccomp.ALLOW)
    refusal.add_rule(seccomp.ERRNO(errno.EPERM), "seccomp")
    refusal.add_rule(seccomp.ERRNO(errno.EPERM), "prctl", seccomp.Arg(0, seccomp.EQ, 22))  # PR_SET_SECCOMP
    refusal.load()

    from zgckg.cli import main

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            main(["serve", "--store", sys.argv[1], "--port", sys.argv[2]])
        except SystemExit as exited:
            code = exited.code
    print(json.dumps({"code": code, "stderr": stderr.getvalue()}))
"""


def test_where_seccomp_is_refused_zgckg_serve_says_so_in_one_line_before_it_starts(web_store):
    from conftest import free_port

    found = run_child(SERVE_WITHOUT_SECCOMP, web_store.root, free_port())
    assert found["code"] == 1
    lines = found["stderr"].strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in found["stderr"]
    assert "cannot keep the query and update workers off the network" in lines[0]
    assert "--unsafe-worker-network" in lines[0]
