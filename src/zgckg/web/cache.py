"""A bounded in-memory LRU of complete answers, for identical queries on an unchanged store.

Keys start with the store version, so an update or a rebuild makes every older entry unreachable; the
first lookup under a new version drops them all at once instead of letting them age out. Only answers
held in memory and no larger than ``max_item_bytes`` are kept, within ``max_entries`` and ``max_bytes``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Protocol


class Answer(Protocol):
    """What is kept: an engine's answer, or a whole response the front replays (``replay.Replay``)."""

    body: bytes | None
    size: int
    version: str


class AnswerCache:
    def __init__(self, max_entries: int, max_bytes: int, max_item_bytes: int = 256 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_item_bytes = min(max_item_bytes, max_bytes)
        self._entries: OrderedDict[Hashable, Answer] = OrderedDict()
        self._bytes = 0
        self._version: str | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, version: str, key: Hashable) -> Answer | None:
        with self._lock:
            self._follow(version)
            answer = self._entries.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: Hashable, answer: Answer) -> None:
        if answer.body is None or answer.size > self.max_item_bytes or self.max_entries <= 0:
            return
        with self._lock:
            if answer.version != self._version:
                return  # answered from another generation than the one being cached
            old = self._entries.pop(key, None)
            self._bytes -= old.size if old else 0
            self._entries[key] = answer
            self._bytes += answer.size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def __len__(self) -> int:
        return len(self._entries)

    def _follow(self, version: str) -> None:
        if version != self._version:
            self._entries.clear()
            self._bytes = 0
            self._version = version
