"""Running the app: waitress (a production WSGI server) or, with ``dev``, Flask's reloading server.

``serve`` returns when the server stops; SIGINT and SIGTERM stop it, and the worker processes are always
shut down on the way out.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from ..config import Config


def serve(config: Config, *, dev: bool = False) -> None:
    _log_to_stderr()
    if dev:
        _serve_dev(config)
        return
    import waitress

    from ..app import close_app, create_app

    app = create_app(config)
    server = waitress.create_server(
        app, host=config.host, port=config.port, threads=config.threads, ident="zgckg",
        max_request_body_size=max(config.max_body_bytes, config.max_upload_bytes) + 1,
    )
    stop = _stop_on_signals()
    print(f"zgckg: serving {config.store} at http://{config.host}:{server.effective_port}/sparql "
          f"({config.workers} query workers, {config.threads} threads)", file=sys.stderr, flush=True)
    try:
        server.run()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        stop()
        server.close()
        close_app(app)
        print("zgckg: stopped", file=sys.stderr, flush=True)


class _Stop(SystemExit):
    """Raised in the main thread by SIGTERM, to unwind like Ctrl-C does. A SystemExit, because waitress's
    event loop swallows any other exception raised inside a channel's handler, and the signal can land there."""


def _stop_on_signals():
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, _raise_stop)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _raise_stop(signum, frame) -> None:
    raise _Stop()


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
