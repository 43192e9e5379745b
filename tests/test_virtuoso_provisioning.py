"""scripts/virtuoso: a private Virtuoso that answers, reads anonymously, writes only with digest auth, never
fetches from the network for an anonymous query, listens on loopback only, and stops.

These tests also pin down Virtuoso behaviour the remote engine must live with, above all that a result
longer than ResultSetMaxRows comes back cut, with 200 and no error.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time

import pyoxigraph as ox
import pytest
import requests

from virtuoso import SCRIPT, Virtuoso

JSON = {"Accept": "application/sparql-results+json"}
XSD = "http://www.w3.org/2001/XMLSchema#"


def select(server, query: str) -> list[dict]:
    response = requests.post(server.sparql, data={"query": query}, headers=JSON, timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.json()["results"]["bindings"]


def update(server, text: str) -> requests.Response:
    return requests.post(server.update, data={"update": text}, auth=server.auth(), timeout=60)


class Listener:
    """A TCP socket listening on loopback that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, address = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections.append(address)
            conn.close()

    def close(self) -> None:
        time.sleep(0.5)  # a connection Virtuoso made late would still be seen
        self._stop.set()
        self._thread.join()
        self.sock.close()


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket process ``pid`` listens on, IPv4 and IPv6, from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            with open(table) as file:
                lines = file.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            address, port = local.split(":")
            raw = bytes.fromhex(address)
            if width == 8:
                text = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                text = socket.inet_ntop(socket.AF_INET6, words)
            found.add((text, int(port, 16)))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return False


def test_anonymous_endpoint_answers_ask(virtuoso):
    response = requests.get(virtuoso.sparql, params={"query": "ASK {}"}, headers=JSON, timeout=30)
    assert response.status_code == 200
    assert response.json()["boolean"] is True


def test_second_start_says_running_and_succeeds(virtuoso):
    result = subprocess.run([str(SCRIPT), "start", str(virtuoso.dir), "--http-port", str(virtuoso.http_port),
                             "--sql-port", str(virtuoso.sql_port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stdout
    assert virtuoso.status() == "running"


def test_anonymous_writes_are_refused(virtuoso):
    graph = "urn:zgckg:test:anonymous"
    for field in ("update", "query"):  # Virtuoso takes an update in either field
        response = requests.post(virtuoso.sparql, data={field: f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> <urn:c> }} }}"},
                                 timeout=30)
        assert response.status_code >= 400
        assert "SECURITY" in response.text  # e.g. "SR186:SECURITY: No permission to execute procedure ..."
    response = requests.put(f"{virtuoso.base}/sparql-graph-crud", params={"graph": graph},
                            data=b"<urn:a> <urn:b> <urn:c> .", headers={"Content-Type": "text/turtle"}, timeout=30)
    assert response.status_code == 403
    assert select(virtuoso, f"SELECT * {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == []


def test_authenticated_update_with_digest(virtuoso):
    graph = "urn:zgckg:test:update"
    unauthenticated = requests.post(virtuoso.update, data={"update": "CLEAR SILENT GRAPH <urn:x>"}, timeout=30)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Digest ")
    wrong = requests.post(virtuoso.update, data={"update": "CLEAR SILENT GRAPH <urn:x>"}, timeout=30,
                          auth=requests.auth.HTTPDigestAuth(virtuoso.user, "not-the-password"))
    assert wrong.status_code == 401
    response = update(virtuoso, f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:n> 1 ; <urn:l> "海淀"@zh ; '
                                f'<urn:d> "2.5"^^<{XSD}decimal> }} }}')
    assert response.status_code == 200, response.text
    rows = select(virtuoso, f"SELECT ?p ?o {{ GRAPH <{graph}> {{ <urn:a> ?p ?o }} }} ORDER BY ?p")
    objects = {row["p"]["value"]: row["o"] for row in rows}
    # Virtuoso writes typed literals in JSON results as "typed-literal" (the SPARQL 1.0-era JSON form).
    assert objects["urn:n"] == {"type": "typed-literal", "datatype": f"{XSD}integer", "value": "1"}
    assert objects["urn:d"] == {"type": "typed-literal", "datatype": f"{XSD}decimal", "value": "2.5"}
    assert objects["urn:l"] == {"type": "literal", "xml:lang": "zh", "value": "海淀"}
    assert update(virtuoso, f"DROP SILENT GRAPH <{graph}>").status_code == 200
    assert select(virtuoso, f"SELECT * {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == []


def test_graph_store_protocol_with_digest(virtuoso):
    graph = "urn:zgckg:test:gsp"
    turtle = ('@prefix zg: <https://w3id.org/zgckg/id/> .\n'
              'zg:xiaomi <http://www.w3.org/2000/01/rdf-schema#label> "小米"@zh, "Xiaomi"@en ;\n'
              '  <https://w3id.org/zgckg/ontology#foundedIn> "2010"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n')
    sent = set(ox.parse(turtle.encode(), ox.RdfFormat.TURTLE))
    put = requests.put(virtuoso.store, params={"graph": graph}, data=turtle.encode(),
                       headers={"Content-Type": "text/turtle"}, auth=virtuoso.auth(), timeout=30)
    assert put.status_code in (200, 201, 204), put.text
    got = requests.get(virtuoso.store, params={"graph": graph}, headers={"Accept": "text/turtle"},
                       auth=virtuoso.auth(), timeout=30)
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("text/turtle")
    # Virtuoso writes non-ASCII characters as \u escapes and invents prefixes (ns0:); the triples are the same.
    assert set(ox.parse(got.content, ox.RdfFormat.TURTLE)) == sent
    deleted = requests.delete(virtuoso.store, params={"graph": graph}, auth=virtuoso.auth(), timeout=30)
    assert deleted.status_code in (200, 204)
    gone = requests.get(virtuoso.store, params={"graph": graph}, headers={"Accept": "text/turtle"},
                        auth=virtuoso.auth(), timeout=30)
    assert gone.status_code == 404


def test_results_are_cut_at_max_rows_without_an_error(virtuoso):
    """The trap for the remote engine: 10,001 rows asked for, 10,000 returned, status 200, nothing flagged."""
    assert virtuoso.max_rows == 10000
    # One VALUES block of 10,001 rows is refused ("SP031: ... generated SQL text has exceeded 10000 lines"),
    # so the rows come from the product of five blocks of ten (100,000 rows), asked for with LIMIT 10001.
    digits = " ".join(str(n) for n in range(10))
    blocks = " ".join(f"VALUES ?{v} {{ {digits} }}" for v in "abcde")
    response = requests.post(virtuoso.sparql, data={"query": f"SELECT * {{ {blocks} }} LIMIT 10001"}, headers=JSON,
                             timeout=60)
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == 10000
    # The only sign of the cut is a response header (absent when nothing was cut).
    assert response.headers["X-SPARQL-MaxRows"] == "10000"
    small = requests.post(virtuoso.sparql, data={"query": "SELECT * { VALUES ?a { 1 2 } }"}, headers=JSON, timeout=30)
    assert "X-SPARQL-MaxRows" not in small.headers
    graph = "urn:zgckg:test:rows"
    # 10,001 triples through the Graph Store Protocol: an INSERT DATA of even 2,000 triples hits the same
    # SP031 limit, the GSP's Turtle loader has no such limit.
    triples = "".join(f"<urn:s{n}> <urn:p> {n} .\n" for n in range(10001))
    response = requests.post(virtuoso.store, params={"graph": graph}, data=triples.encode(),
                             headers={"Content-Type": "text/turtle"}, auth=virtuoso.auth(), timeout=60)
    assert response.status_code in (200, 201, 204), response.text[:500]
    try:
        assert select(virtuoso, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"]["value"] == "10001"
        response = requests.post(virtuoso.sparql, data={"query": f"SELECT ?s {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                                 headers=JSON, timeout=60)
        assert response.status_code == 200
        assert len(response.json()["results"]["bindings"]) == 10000
    finally:
        update(virtuoso, f"DROP SILENT GRAPH <{graph}>")


def test_anonymous_queries_make_no_outbound_connection(virtuoso):
    listener = Listener()
    target = f"http://127.0.0.1:{listener.port}"
    try:
        service = requests.post(virtuoso.sparql, data={"query": f"SELECT * {{ SERVICE <{target}/x> {{ ?s ?p ?o }} }}"},
                                headers=JSON, timeout=30)
        # Refused when compiled: "SQ070:SECURITY: Must have select privileges on view DB.DBA.SPARQL_SINV_2".
        assert service.status_code >= 400
        assert "SECURITY" in service.text
        sponge = requests.post(virtuoso.sparql, headers=JSON, timeout=30, data={
            "query": f'DEFINE get:soft "replace" SELECT * FROM <{target}/doc> {{ ?s ?p ?o }}'})
        assert sponge.status_code >= 400
        load = requests.post(virtuoso.sparql, data={"update": f"LOAD <{target}/doc>"}, timeout=30)
        assert load.status_code >= 400
        plain_from = requests.post(virtuoso.sparql, data={"query": f"SELECT * FROM <{target}/doc> {{ ?s ?p ?o }}"},
                                   headers=JSON, timeout=30)
        assert plain_from.status_code == 200 and plain_from.json()["results"]["bindings"] == []
    finally:
        listener.close()
    assert listener.connections == []


def test_ports_listen_on_loopback_only(virtuoso):
    assert listening_sockets(virtuoso.pid) == {("127.0.0.1", virtuoso.http_port), ("127.0.0.1", virtuoso.sql_port)}


def test_stop_ends_the_process():
    with Virtuoso(max_rows=100) as server:
        pid = server.pid
        assert pid and alive(pid)
        assert server.status() == "running"
        result = server._run("stop", str(server.dir), timeout=60)
        assert result.returncode == 0, result.stderr
        assert not alive(pid)
        assert server.status() == "stopped"
        with pytest.raises(requests.ConnectionError):
            requests.get(server.sparql, params={"query": "ASK {}"}, timeout=5)


def test_the_ini_limits_execution_time_and_refuses_nothing_on_an_estimate(virtuoso):
    # The optimiser's estimate refused our entity description at 10M quads (it runs in milliseconds); OpenLink
    # calls the setting a debugging aid. Without a `timeout` parameter, MaxQueryExecutionTime makes a query
    # that runs long an error, never a partial answer (Virtuoso's "anytime" results need that parameter).
    import configparser

    ini = configparser.ConfigParser(inline_comment_prefixes=(";",), strict=False, interpolation=None)
    ini.optionxform = str
    ini.read(virtuoso.dir / "virtuoso.ini")
    assert ini["SPARQL"]["MaxQueryCostEstimationTime"] == "0"  # absent, Virtuoso would read another key
    assert ini["SPARQL"]["MaxQueryExecutionTime"] == str(virtuoso.max_seconds)
