"""Answers the front sends again by itself: the same request, byte for byte, on an unchanged store.

An answer from the answer cache still takes a hop to a thread, Flask's request machinery and its hooks,
which cost more than the engine's own time on the smallest queries. So the app marks a response that may
be replayed (:func:`allow`: a complete 200 from memory, no SERVICE involved), and the front
(:mod:`front`) keeps it under the request as it arrived (:func:`request_key`) and the store version, and
sends it again on its event loop while the engine can tell at once (``Engine.version_at_hand``) that the
version is unchanged. The first request under a new version drops every older entry.

Conditional requests (If-None-Match, If-Modified-Since) always go to the app, which answers 304. A
replay is counted in ``/metrics`` and logged as the app would, with ``"cache": "replayed"``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from flask import request

from .cache import AnswerCache

log = logging.getLogger("zgckg.web.access")

MARK = "zgckg.replay"
"""WSGI environ key: set by the app on a response the front may replay (see :func:`allow`)."""

_VARYING = (b"accept", b"accept-encoding", b"accept-language", b"authorization", b"content-type", b"origin")
"""Request headers an answer may depend on (negotiation, compression, CORS): part of the key. Headers
that only identify the client, such as a proxy's X-Forwarded-For, change nothing in an answer."""
_CONDITIONAL = (b"if-none-match", b"if-modified-since")


@dataclass(frozen=True)
class Replay:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    version: str
    route: str
    note: dict = field(default_factory=dict)
    """The app's access-log fields for the request (event, kind, format, rows…)."""

    @property
    def size(self) -> int:
        return len(self.body)


def allow(served: str, **note) -> None:
    """Let the front replay the response being made to this request, while version ``served`` is served;
    ``note`` is what the access log says of it."""
    route = request.url_rule.rule if request.url_rule is not None else request.path
    request.environ[MARK] = (served, route, {"event": request.endpoint, **note})


def request_key(scope: dict, body: bytes) -> tuple | None:
    """What identifies a request's answer: method, path, query string, body and the varying headers;
    None for a request never replayed (not a GET or POST, or conditional)."""
    if scope["method"] not in ("GET", "POST"):
        return None
    varying = []
    for name, value in scope["headers"]:
        name = name.lower()
        if name in _CONDITIONAL:
            return None
        if name in _VARYING:
            varying.append((name, value))
    return scope["method"], scope.get("raw_path") or scope["path"], scope.get("query_string", b""), body, \
        tuple(sorted(varying))


class Replays:
    """The replayable answers, in an :class:`AnswerCache` of their own (most bodies are the very bytes
    objects the answer cache holds, so the memory is mostly shared)."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.cache = AnswerCache(runtime.config.cache_entries, runtime.config.cache_bytes)

    def find(self, key: tuple | None) -> Replay | None:
        if key is None or not self.runtime.config.cache_entries:
            return None
        version = self.runtime.engine.version_at_hand()
        return None if version is None else self.cache.get(version, key)

    def keep(self, key: tuple | None, environ: dict, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """Keep a complete answer the app marked replayable."""
        mark = environ.get(MARK)
        if key is None or mark is None or status != 200:
            return
        version, route, note = mark
        encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        self.cache.put(key, Replay(status, encoded, body, version, route, note))

    def sent(self, replay: Replay, scope: dict, started: float) -> None:
        """Count and log a replay as the app counts and logs its answers."""
        elapsed = time.perf_counter() - started
        metrics = self.runtime.metrics
        metrics.requests.labels(replay.route, str(replay.status)).inc()
        metrics.seconds.labels(replay.route).observe(elapsed)
        line = {"event": replay.note.get("event"), "method": scope["method"], "path": scope["path"],
                "status": replay.status, "ms": round(elapsed * 1000, 2), "bytes": replay.size,
                "client": (scope.get("client") or ("",))[0], **replay.note, "cache": "replayed"}
        log.info(json.dumps(line, ensure_ascii=False, default=str))
