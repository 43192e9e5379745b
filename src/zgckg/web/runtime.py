"""What a running app holds: its configuration, the engine, the answer cache.

Made once by ``create_app`` and kept in ``app.extensions["zgckg"]``; views reach it through
:func:`runtime`. ``close`` stops the engine (its worker processes), once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from datetime import datetime

from flask import current_app, request

from ..config import Config
from ..kg.engine import Engine
from .cache import AnswerCache
from .fairness import ClientLimits
from .conditional import mtime_to_datetime

if TYPE_CHECKING:
    from .metrics import Metrics


@dataclass
class Runtime:
    config: Config
    engine: Engine
    cache: AnswerCache
    _modified: dict[str, datetime] = field(default_factory=dict)
    graph_sizes: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """The service description's graph sizes, for the newest version asked about."""
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    metrics: Metrics | None = None
    """Set by ``start``; a field so the app's registry lives and dies with the runtime."""
    limits: ClientLimits | None = None
    """Per-client limits on running queries (see ``fairness``); set by ``start``."""

    @classmethod
    def start(cls, config: Config, engine: Engine) -> "Runtime":
        from .metrics import Metrics

        metrics = Metrics(engine)
        return cls(config, engine, AnswerCache(config.cache_entries, config.cache_bytes), metrics=metrics,
                   limits=ClientLimits(config, on_refusal=lambda limit: metrics.client_refusals.labels(limit).inc()))

    def version(self) -> str:
        return self.engine.version()

    def last_modified(self, version: str) -> datetime:
        known = self._modified
        if version not in known:
            # only the newest generation is ever asked for again
            self._modified = known = {version: mtime_to_datetime(self.engine.modified(version))}
        return known[version]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.engine.close()


def runtime() -> Runtime:
    return current_app.extensions["zgckg"]


ARRIVED = "zgckg.arrived"
"""WSGI environ key: when the request was in (monotonic seconds), set by the server's front or on arrival."""


def note_arrival() -> None:
    request.environ.setdefault(ARRIVED, time.monotonic())


def arrived() -> float:
    """When the request came in (monotonic seconds): its time limit counts from there."""
    return request.environ.get(ARRIVED) or time.monotonic()
