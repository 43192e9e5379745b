"""The HTTP front of the endpoint: an ASGI app that takes in each request whole before the Flask (WSGI)
app gets one of its few threads.

A WSGI server reads the body on demand, inside the app's thread, so a client that promises a body and
sends it slowly holds a thread as long as it likes: eight such clients took every thread. Here the body
is read on granian's event loop, where a waiting connection costs next to nothing, within a deadline
(408 after ``body_timeout``) and a size limit (413 as soon as it is known), and one client address may
have ``max_client_requests`` requests in flight (429 above that). Only a complete request reaches the
app, in a pool of ``threads`` threads, as a plain WSGI environ with the body in memory; the health and
metrics paths have two threads of their own.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ..config import Config
from .bodies import too_large
from .replay import Replays, request_key

log = logging.getLogger("zgckg.web.access")

_BATCH = 64 * 1024
"""Response bytes gathered per trip to a thread: most answers take one trip, a big one is sent in slices."""
CONTROL = frozenset({"/healthz", "/readyz", "/metrics"})
"""Paths answered on threads of their own: a monitor must have its answer while every other thread waits on
a long query (behind eight queries of 10 s, /healthz took 8.5 s)."""


class _TooLarge(Exception):
    pass


class Front:
    """``Front(wsgi_app, config)`` is the ASGI app granian serves."""

    def __init__(self, app, config: Config):
        self.app = app
        self.config = config
        self.pool = ThreadPoolExecutor(config.threads, thread_name_prefix="zgckg-http")
        self.control = ThreadPoolExecutor(2, thread_name_prefix="zgckg-control")
        self.in_flight: dict[str, int] = {}  # only touched on the event loop: no lock needed
        self.replays = Replays(app.extensions["zgckg"])

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            client = _counted_as(scope, self.config.client_header)
            if self.in_flight.get(client, 0) >= self.config.max_client_requests:
                limit = self.config.max_client_requests
                await self._refuse(scope, send, 429, f"this client already has {limit} requests in flight, the most "
                              "this server allows; wait for an answer and retry (the server's operator sets the "
                              "limit with ZGCKG_MAX_CLIENT_REQUESTS)", [(b"retry-after", b"1")])
                return
            self.in_flight[client] = self.in_flight.get(client, 0) + 1
            try:
                await self._request(scope, receive, send)
            finally:
                self.in_flight[client] -= 1
                if not self.in_flight[client]:
                    del self.in_flight[client]
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # closing before accepting refuses it

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for pool in (self.pool, self.control):
                    pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _request(self, scope, receive, send) -> None:
        if scope["path"].startswith("/store") and self._may_write(scope):
            limit, setting = self.config.max_upload_bytes, "ZGCKG_MAX_UPLOAD_BYTES"
        else:
            limit, setting = self.config.max_body_bytes, "ZGCKG_MAX_BODY_BYTES"
        try:
            if int(_header(scope, b"content-length") or 0) > limit:
                raise _TooLarge  # refused before a byte of the body is read
            async with asyncio.timeout(self.config.body_timeout):
                body = await _read_body(receive, limit)
        except _TooLarge:
            await self._refuse(scope, send, 413, too_large(limit, setting).message)
            return
        except TimeoutError:
            await self._refuse(scope, send, 408, f"the request body did not arrive within this server's limit of "
                          f"{self.config.body_timeout:g} s; send it at once (the server's operator sets the "
                          "limit with ZGCKG_BODY_TIMEOUT)")
            return
        if body is None:  # the body ended early: the client left, or sent too few bytes or a broken chunk
            await self._refuse(scope, send, 400, "the request body ended before it was complete (fewer bytes than "
                               "its Content-Length, or a malformed chunk); send it again whole")
            return
        key = request_key(scope, body)
        started = time.perf_counter()
        if (replay := self.replays.find(key)) is not None:  # on this loop: no thread, no app
            await send({"type": "http.response.start", "status": replay.status, "headers": replay.headers})
            await send({"type": "http.response.body", "body": replay.body})
            self.replays.sent(replay, scope, started)
            return
        await self._respond(_environ(scope, body, time.monotonic()), send, key)

    async def _refuse(self, scope, send, status: int, message: str, headers: tuple = ()) -> None:
        """An error answer of the front, shaped as the app's own (errors.py): plain text unless the client
        ranks JSON above it, readable by a page's script (CORS). The connection is closed after it: a body
        may still be on its way."""
        self.app.extensions["zgckg"].metrics.refusals.labels(str(status)).inc()
        accept = parse_accept_header(_header(scope, b"accept"), MIMEAccept)
        reason = HTTPStatus(status).phrase
        if accept.provided and accept.quality("application/json") > accept.quality("text/plain"):
            body = json.dumps({"status": status, "error": reason, "message": message}, ensure_ascii=False)
            kind = b"application/json"
        else:
            body, kind = message, b"text/plain; charset=utf-8"
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", kind), (b"connection", b"close"),
            (b"access-control-allow-origin", self.config.cors_origins.encode("latin-1")),
            (b"access-control-expose-headers", b"Retry-After"), *headers]})
        await send({"type": "http.response.body", "body": (body + "\n").encode()})
        log.info(json.dumps({"event": "front", "method": scope["method"], "path": scope["path"],
                             "status": status, "client": _client(scope), "error": reason}, ensure_ascii=False))

    def _may_write(self, scope) -> bool:
        """Whether the request carries the write token. The app refuses an upload without it, but only
        once the body is in: without this check anyone could make the server hold max_upload_bytes."""
        scheme, _, given = (_header(scope, b"authorization") or "").partition(" ")
        token = self.config.write_token
        if not token or scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode(), token.encode())

    async def _respond(self, environ: dict, send, key: tuple | None) -> None:
        """Run the app and send its answer; the app and its iterable only ever run in the pool. A whole
        answer the app marked replayable is kept under ``key``."""
        loop = asyncio.get_running_loop()
        pool = self.control if environ["PATH_INFO"] in CONTROL else self.pool
        started: dict = {}

        def start_response(status, headers, exc_info=None):
            if exc_info and started.get("sent"):  # too late to replace the headers
                raise exc_info[1].with_traceback(exc_info[2])
            started.update(status=int(status.split(" ", 1)[0]), headers=headers)
            return _no_write

        answer = _Answer()
        try:
            data, more = await loop.run_in_executor(pool, answer.begin, self.app, environ, start_response)
            started["sent"] = True
            if not more:
                self.replays.keep(key, environ, started["status"], started["headers"], data)
            await send({"type": "http.response.start", "status": started["status"],
                        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in started["headers"]]})
            while more:
                await send({"type": "http.response.body", "body": data, "more_body": True})
                data, more = await loop.run_in_executor(pool, answer.pull)
            await send({"type": "http.response.body", "body": data})
        finally:
            if not answer.closed:  # an error or a client gone mid-answer: release what the answer holds
                await loop.run_in_executor(pool, answer.close)


class _Answer:
    """A WSGI iterable read in slices of about _BATCH bytes, closed as soon as it is exhausted."""

    def __init__(self):
        self.result, self.chunks, self.closed = None, iter(()), False

    def begin(self, app, environ, start_response) -> tuple[bytes, bool]:
        self.result = app(environ, start_response)
        self.chunks = iter(self.result)
        return self.pull()

    def pull(self) -> tuple[bytes, bool]:
        parts, size = [], 0
        for chunk in self.chunks:
            parts.append(chunk)
            size += len(chunk)
            if size >= _BATCH:
                return b"".join(parts), True
        self.close()  # in the same trip to the thread, so a small answer takes just one
        return b"".join(parts), False

    def close(self) -> None:
        self.closed = True
        if hasattr(self.result, "close"):
            self.result.close()


def _no_write(data: bytes) -> None:
    raise NotImplementedError("this server does not support WSGI's write(); return an iterable instead")


async def _read_body(receive, limit: int) -> bytes | None:
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:  # a chunked body has no length up front: refused as soon as it passes the limit
            raise _TooLarge
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


def _environ(scope, body: bytes, arrived: float) -> dict:
    """The WSGI environ of an ASGI request. WSGI wants the path as the raw bytes, percent-decoded, each
    byte one latin-1 character; the body is already whole, so it has a plain length, chunked or not."""
    script = scope.get("root_path", "").encode().decode("latin-1")
    raw = scope.get("raw_path")
    path = unquote_to_bytes(raw).decode("latin-1") if raw else scope["path"].encode().decode("latin-1")
    server = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script,
        "PATH_INFO": path[len(script):] if script and path.startswith(script) else path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": _client(scope),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "zgckg.arrived": arrived,
    }
    for name, value in scope["headers"]:
        name, value = name.decode("latin-1"), value.decode("latin-1")
        if "_" in name or name.lower() in ("content-length", "transfer-encoding"):
            continue  # the body is de-chunked; and X_Y must not pass for X-Y (a proxy may vet only one)
        key = name.upper().replace("-", "_")
        key = key if key == "CONTENT_TYPE" else f"HTTP_{key}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _client(scope) -> str:
    return (scope.get("client") or ("",))[0]


def _counted_as(scope, header: str | None) -> str:
    """Whose requests in flight this one counts with: the configured header's first value behind a proxy
    (the same client the per-client query limits count), else the remote address."""
    if header:
        given = (_header(scope, header.lower().encode("latin-1")) or "").split(",")[0].strip()
        if given:
            return given[:200]
    return _client(scope)


def _header(scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == name), None)
