"""Per-client limits on running queries, so one client's runaways never hold up the others.

A client is its remote address, or, behind a proxy, the first value of a configured header
(``client_header``, e.g. ``X-Forwarded-For``). Two limits, as WDQS has them:

- **concurrency**: at most ``client_queries`` of its queries run at once (default 2);
- **time**: the queries it ran in the last minute took at most ``client_query_seconds`` in all (default 60).

Over either, the query is not run: a 429 with ``Retry-After`` and a message naming the limit and its
setting. Only queries that reach the engine count; an answer from the cache or a 304 costs nothing.
The table is bounded: entries older than the window are dropped, and past ``MAX_CLIENTS`` the clients
idle longest are forgotten first.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Request

from ..config import Config
from .errors import HttpError

WINDOW = 60.0
MAX_CLIENTS = 100_000


@dataclass
class _Client:
    running: list = field(default_factory=list)  # when each running query started
    spent: deque = field(default_factory=deque)  # (finished at, seconds), oldest first
    total: float = 0.0
    """The sum of ``spent``'s seconds, kept as entries come and go: a busy client has thousands of them,
    and summing them on every admission cost more than the rest of a small query's admission."""

    def charge(self, finished: float, seconds: float) -> None:
        self.spent.append((finished, seconds))
        self.total += seconds

    def expire(self, now: float) -> None:
        while self.spent and self.spent[0][0] <= now - WINDOW:
            self.total -= self.spent.popleft()[1]
        if not self.spent:
            self.total = 0.0  # no drift from the additions and subtractions of floats


class ClientLimits:
    def __init__(self, config: Config, clock=time.monotonic, on_refusal=lambda limit: None):
        self.concurrent = config.client_queries
        self.budget = config.client_query_seconds
        self.header = config.client_header
        self._clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()
        self._on_refusal = on_refusal

    def client_of(self, request: Request) -> str:
        if self.header:
            given = request.headers.get(self.header, "").split(",")[0].strip()
            if given:
                return given[:200]
        return request.remote_addr or "unknown"

    @contextmanager
    def running(self, client: str):
        """Hold one of the client's query slots while the block runs, and charge it the time taken;
        HttpError 429 (nothing run) when the client is over a limit."""
        started = self._admit(client)
        try:
            yield
        finally:
            self._release(client, started)

    def _admit(self, client: str) -> float:
        now = self._clock()
        with self._lock:
            state = self._clients.get(client)
            if state is None:
                state = self._clients[client] = _Client()
                while len(self._clients) > MAX_CLIENTS:
                    self._clients.popitem(last=False)
            self._clients.move_to_end(client)
            state.expire(now)
            if self.concurrent and len(state.running) >= self.concurrent:
                self._on_refusal("concurrency")
                raise HttpError(429, f"this client already has {len(state.running)} queries running, the most it may "
                                     f"have at once ({self.concurrent}, --client-queries); wait for one to finish",
                                {"Retry-After": "1"})
            # queries still running count for the time they have taken so far: else a client could start
            # one more just before its long ones end, and overshoot its budget by a whole time limit
            spent = state.total + sum(now - start for start in state.running)
            if self.budget and spent >= self.budget:
                self._on_refusal("time")
                wait = self._until_under_budget(state, now)
                raise HttpError(429, f"this client's queries took {spent:.1f} s in the last minute, its budget "
                                     f"({self.budget:g} s a minute, --client-query-seconds); try again in {wait} s",
                                {"Retry-After": str(wait)})
            state.running.append(now)
        return now

    def _release(self, client: str, started: float) -> None:
        now = self._clock()
        with self._lock:
            state = self._clients.setdefault(client, _Client())
            if started in state.running:
                state.running.remove(started)
            state.charge(now, now - started)
            state.expire(now)

    def _until_under_budget(self, state: _Client, now: float) -> int:
        """Whole seconds until enough of the client's recent query time has left the window."""
        spent = state.total
        for finished, seconds in state.spent:
            spent -= seconds
            if spent < self.budget:
                return max(1, math.ceil(finished + WINDOW - now))
        return int(WINDOW)
