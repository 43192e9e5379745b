"""The remote engine's HTTP side against stores that misbehave on a real socket: one that never answers, one
that sends its answer a byte at a time, one that is not there. Each request ends at the query's limit or
at once, with the error the endpoint maps to a 503; and the text sent carries only the project's prefixes
it needs."""

import socket
import threading
import time
from urllib.parse import parse_qs

import pytest

from zgckg.config import Config
from zgckg.errors import EngineFailed, QueryTimeout
from zgckg.kg.engine import Query
from zgckg.kg.engine.remote import RemoteEngine
from zgckg.kg.formats import SOLUTIONS

LIMIT = 1.0
ANSWER = b'{"head":{"vars":["x"]},"results":{"bindings":[]}}'


class Store:
    """A loopback server that reads each request and then behaves as ``mode`` says: ``silent`` sends
    nothing, ``trickle`` sends its headers, then the answer one byte every 0.2 s, ``empty`` answers at once
    with no solutions, ``pieces`` too but in two writes. Keeps the request bodies it read."""

    def __init__(self, mode: str):
        self.mode, self.bodies, self.closed = mode, [], threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/sparql"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closed.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    if not (more := connection.recv(65536)):
                        return
                    data += more
                head, _, data = data.partition(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                while len(data) < length:
                    data += connection.recv(65536)
                self.bodies.append(data[:length])
                data = data[length:]
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                if self.mode == "empty":
                    connection.sendall(head + b"Content-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER))
                    continue
                if self.mode == "pieces":  # as Virtuoso writes: head and body apart, Nagle's algorithm on
                    connection.sendall(head + b"Content-Length: %d\r\n\r\n" % len(ANSWER))
                    connection.sendall(ANSWER)
                    continue
                if self.mode == "trickle":
                    connection.sendall(head + b"Content-Length: %d\r\n\r\n" % len(ANSWER))
                    for byte in ANSWER:
                        if self.closed.wait(0.2):
                            return
                        connection.sendall(bytes([byte]))
                self.closed.wait()
                return

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


@pytest.fixture(params=["silent", "trickle"])
def stalling(request):
    store = Store(request.param)
    yield store
    store.close()


def engine_for(url: str) -> RemoteEngine:
    return RemoteEngine(Config(engine=url, engine_kind="generic", timeout=LIMIT))


def test_a_store_that_stalls_is_left_at_the_querys_limit(stalling):
    engine = engine_for(stalling.url)
    started = time.monotonic()
    with pytest.raises(QueryTimeout):  # before any answer: the version is read first, under the same limit
        engine.query(Query("SELECT * { ?s ?p ?o }", SOLUTIONS[0], timeout=LIMIT))
    took = time.monotonic() - started
    engine.close()
    # a byte every 0.2 s never lets a per-read timeout fire: the limit holds for the whole answer
    assert LIMIT - 0.05 <= took < LIMIT + 1.0


def test_a_store_that_is_not_there_is_unavailable_at_once():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    engine = engine_for(f"http://127.0.0.1:{port}/sparql")  # nothing listens there now
    started = time.monotonic()
    with pytest.raises(EngineFailed) as failed:
        engine.query(Query("ASK {}", SOLUTIONS[0], timeout=LIMIT))
    engine.close()
    assert failed.value.unavailable and f"127.0.0.1:{port}" in str(failed.value)
    assert time.monotonic() - started < LIMIT


@pytest.mark.parametrize("text, sent", [
    ("SELECT * { ?s rdfs:label ?l }", ["rdfs"]),
    ("SELECT * { ?s a zgo:Enterprise ; zgo:locatedIn zg:haidian-park }", ["zgo", "zg"]),
    # its own declaration stands alone: ours would only be read and overridden
    ("PREFIX rdfs: <http://example/> SELECT * { ?s rdfs:label ?l ; skos:note ?n }", ["skos"]),
    ("# PREFIX rdfs: <http://example/>\nSELECT * { ?s rdfs:label ?l }", ["rdfs"]),  # a comment declares nothing
    ("BASE <http://example/> SELECT * { ?s rdf:type <T> }", ["rdf"]),
    ("SELECT * { ?s ?p 'no prefix here' }", []),
])
def test_the_text_sent_declares_the_project_prefixes_it_uses_and_no_other(text, sent):
    store = Store("empty")
    engine = engine_for(store.url)
    engine.query(Query(text, SOLUTIONS[0]))
    engine.close()
    store.close()
    forwarded = parse_qs(store.bodies[-1].decode())["query"][0]
    assert [line.split()[1].rstrip(":") for line in forwarded.splitlines() if line.startswith("PREFIX ")
            and not line.startswith("PREFIX rdfs: <http://example/>")] == sent
    assert forwarded.endswith(text.removeprefix("BASE <http://example/>"))


def test_an_answer_written_in_pieces_is_not_held_back_by_a_delayed_acknowledgement():
    """A store that writes the head and the body of an answer apart, with Nagle's algorithm on (Virtuoso
    does), had its body held up to 40 ms on a kept-alive connection until the head was acknowledged."""
    store = Store("pieces")
    engine = engine_for(store.url)
    took = []
    for _ in range(20):
        started = time.monotonic()
        engine.query(Query("SELECT * { ?s ?p ?o }", SOLUTIONS[0]))
        took.append(time.monotonic() - started)
    engine.close()
    store.close()
    assert sorted(took)[len(took) // 2] < 0.02, [round(t * 1000, 1) for t in took]  # held, each took 44 ms
