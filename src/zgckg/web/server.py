"""Running the app: granian (a production HTTP server written in Rust) or, with ``dev``, Flask's
reloading server.

Granian parses HTTP in Rust, outside the GIL, and handles SIGINT and SIGTERM itself. It binds the socket
in this process and runs the app in one child process, made from the configuration by :func:`_load_app`;
a signal stops both, and the app's worker processes are shut down on the way out (``create_app`` registers
that at exit).

Granian speaks ASGI to :class:`~zgckg.web.front.Front`, which reads each request whole on the event loop
and only then runs the Flask app in a pool of ``threads`` threads (with granian's WSGI interface a client
that sent its body slowly held one of those threads for as long as it liked). Granian's own settings,
chosen so that neither slow nor dead-still clients starve the others:

- ``backpressure`` (connections the app process serves at once; others wait in the listen queue) is
  :data:`CONNECTIONS`, and the limit on open files is raised to fit. Granian's default, 1,024, was
  filled by 1,024 connections that never finish their headers.
- ``backlog`` (the kernel's queue of connections not yet taken) 4,096, the usual cap of ``somaxconn``.
- ``header_read_timeout``: a connection has ``header_timeout`` seconds (5) to send a request's headers,
  instead of granian's 30; keep-alive stays on, and an idle keep-alive connection is closed by the same timer.
- ``respawn_failed_workers``: when the app process dies (killed, out of memory), granian forks another at
  once, which answers as soon as its query workers are up (0.3 s after a SIGKILL, measured on the test
  store); the dead one's query workers see it gone and exit. ``respawn_interval`` does not delay that: it
  is how long an old app process keeps serving after its successor started on a reload (SIGHUP), 1 s,
  more than a new one needs to be ready. Granian gives up, and ``serve`` exits with status 1, when the app
  process dies again within 5.5 s of a respawn: a crash loop is left to a supervisor to notice.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
from functools import partial

from ..config import Config
from ..errors import ServeError
from ..kg.engine.local import check_workers_can_start


def serve(config: Config, *, dev: bool = False) -> None:
    if not config.engine:  # a remote store runs its queries itself: no workers here to sandbox
        check_workers_can_start(config)
    _log_to_stderr()
    if dev:
        _serve_dev(config)
        return
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    _check_port(config.host, config.port)
    server = Server(
        "zgckg.app:create_app", address=config.host, port=config.port, interface=Interfaces.ASGI,
        workers=1, http=HTTPModes.http1, websockets=False, log_level=LogLevels.warning, workers_kill_timeout=10,
        backlog=4096, backpressure=_open_files_for(CONNECTIONS),
        http1_settings=HTTP1Settings(header_read_timeout=max(1, round(config.header_timeout * 1000))),
        respawn_failed_workers=True, respawn_interval=1.0,
    )
    serving = f"{config.engine} (remote)" if config.engine else f"{config.store} ({config.workers} query workers)"
    print(f"zgckg: serving {serving} at http://{config.host}:{config.port}/sparql ({config.threads} threads)",
          file=sys.stderr, flush=True)
    server.serve(target_loader=partial(_load_app, config), wrap_loader=False)
    print("zgckg: stopped", file=sys.stderr, flush=True)


CONNECTIONS = 16_384
"""Connections the app process serves at once. Each costs a file descriptor and a few kB in granian; one
waiting for its headers or body costs no thread."""


def _open_files_for(connections: int) -> int:
    """Raise the soft limit on open files (inherited by the app process) towards ``connections`` and what
    the rest of the process needs; the connections that fit under it. Accepting a connection there is no
    file descriptor for would fail, while one left in the listen queue just waits its turn."""
    import resource

    spare = 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + spare if hard == resource.RLIM_INFINITY else min(hard, connections + spare)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return connections if soft == resource.RLIM_INFINITY else max(64, min(connections, soft - spare))


def _check_port(host: str, port: int) -> None:
    """Fail with a plain message, not a server's backtrace, when the address cannot be listened on."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServeError(f"cannot listen on {host}:{port}: {reason}; pick another --port or --host") from None


def _load_app(config: Config):
    """The app behind its front, made inside granian's worker process (again in each respawned one)."""
    from ..app import create_app
    from .front import Front

    _log_to_stderr()
    app = Front(create_app(config), config)
    threading.Thread(target=_stop_with_parent, daemon=True).start()
    return app


def _stop_with_parent() -> None:
    """Shut down, as on SIGTERM, when granian's main process is gone: a SIGKILL gives it no chance to stop
    its worker, and the worker must not go on holding the port's socket and the query workers."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    multiprocessing.connection.wait([parent.sentinel])
    os.kill(os.getpid(), signal.SIGTERM)


def _serve_dev(config: Config) -> None:
    """Flask's server with the reloader. The app is made on the first request, inside the reloaded child,
    so the watching parent starts no worker processes."""
    from werkzeug.serving import run_simple

    run_simple(config.host, config.port, _LazyApp(config), use_reloader=True, threaded=True)


class _LazyApp:
    def __init__(self, config: Config):
        self.config = config
        self.app = None
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            if self.app is None:
                from ..app import create_app

                self.app = create_app(self.config)
        return self.app(environ, start_response)


def _log_to_stderr() -> None:
    access = logging.getLogger("zgckg")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
