"""Running the app: granian (a production HTTP server written in Rust, speaking WSGI) or, with ``dev``,
Flask's reloading server.

Granian parses HTTP in Rust, outside the GIL, and handles SIGINT and SIGTERM itself. It binds the socket
in this process and runs the app in one child process, made from the configuration by :func:`_load_app`;
a signal stops both, and the app's worker processes are shut down on the way out (``create_app`` registers
that at exit).
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


def serve(config: Config, *, dev: bool = False) -> None:
    _log_to_stderr()
    if dev:
        _serve_dev(config)
        return
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    _check_port(config.host, config.port)
    server = Server(
        "zgckg.app:create_app", address=config.host, port=config.port, interface=Interfaces.WSGI,
        workers=1, blocking_threads=config.threads, http=HTTPModes.http1, websockets=False,
        log_level=LogLevels.warning, workers_kill_timeout=10,
    )
    # request threads mostly wait for a query worker, so more of them than cores is intended
    logging.getLogger("_granian").addFilter(lambda record: "Python threads" not in record.getMessage())
    print(f"zgckg: serving {config.store} at http://{config.host}:{config.port}/sparql "
          f"({config.workers} query workers, {config.threads} threads)", file=sys.stderr, flush=True)
    server.serve(target_loader=partial(_load_app, config), wrap_loader=False)
    print("zgckg: stopped", file=sys.stderr, flush=True)


def _check_port(host: str, port: int) -> None:
    """Fail with a plain message, not a server's backtrace, when the address cannot be listened on."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServeError(f"cannot listen on {host}:{port}: {reason}; pick another --port or --host") from None


def _load_app(config: Config):
    """The app, made inside granian's worker process (which starts from a fresh interpreter)."""
    from ..app import create_app

    _log_to_stderr()
    app = create_app(config)
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
