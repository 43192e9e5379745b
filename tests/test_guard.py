"""The SERVICE/LOAD guard: finding targets anywhere in a request, and refusing every non-allowed one."""

import http.server
import socket
import threading
import time

import pytest

from zgckg.errors import ForbiddenOperation
from zgckg.kg import outbound as guard

PUBLIC = "93.184.215.14"


def public_resolver(host, port):
    return [PUBLIC]


@pytest.mark.parametrize(
    "text, services",
    [
        ("SELECT * WHERE { SERVICE <http://a.example/sparql> { ?s ?p ?o } }", ("http://a.example/sparql",)),
        ("select * { service silent <http://a.example/> {} }", ("http://a.example/",)),
        ("SELECT * { { SELECT * { SERVICE <http://sub.example/> {} } } }", ("http://sub.example/",)),
        ("SELECT * { ?s ?p ?o FILTER EXISTS { SERVICE <http://f.example/> {} } }", ("http://f.example/",)),
        ("PREFIX e: <http://e.example/> SELECT * { SERVICE e:sparql {} }", ("http://e.example/sparql",)),
        ("BASE <http://b.example/dir/> SELECT * { SERVICE <../up> {} }", ("http://b.example/up",)),
        ("SELECT * { SERVICE ?endpoint {} }", (None,)),
        ("SELECT * { SERVICE undeclared:x {} }", (None,)),
        ("SELECT * { SERVICE<http://tight.example/>{} }", ("http://tight.example/",)),
        ("SELECT * { ?s ?p ?o .SERVICE <http://glued.example/> {} }", ("http://glued.example/",)),
        ("# a comment line\nSERVICE <http://next-line.example/> {}", ("http://next-line.example/",)),
        ("SELECT * { ?s ?p ?o FILTER(?o<3)SERVICE <http://after-lt.example/> {} }", ("http://after-lt.example/",)),
    ],
    ids=["plain", "silent-lowercase", "subquery", "filter-exists", "prefixed", "relative-to-base", "variable",
         "undeclared-prefix", "no-spaces", "glued-to-a-dot", "after-a-comment-line", "after-less-than"],
)
def test_scan_finds_every_service_target(text, services):
    assert guard.scan(text).services == services


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "SERVICE <http://x.example/> {}" }',
        "SELECT * { ?s ?p '''LOAD <http://x.example/>''' }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://x.example/> {}",
        "SELECT ?service ?load { ?service <http://x.example/SERVICE> ?load }",
        "PREFIX service: <http://x.example/> SELECT * { ?s service:load ?o }",
        "# Which services load data from where?\nSELECT * { ?s ?p ?o }",
        'SELECT * { ?s ?p """\n# SERVICE <http://x.example/> {}\n""" }',
        "SELECT * { ?s <http://x.example/ServiceHall> ?from ; ex:a.SERVICE ?o }",
    ],
    ids=["in-string", "in-long-string", "in-comment", "as-variable-and-iri", "as-prefix", "comment-lines",
         "comment-like-line-in-a-string", "inside-names"],
)
def test_scan_ignores_the_words_outside_keyword_position(text):
    assert not guard.scan(text).reaches_network


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SELECT * { ?s ?p ?o }", False),
        ("SELECT * FROM <http://g.example/> { ?s ?p ?o }", True),
        ("SELECT * FROM NAMED <http://g.example/> { GRAPH ?g { ?s ?p ?o } }", True),
        ('SELECT * { ?s ?p "from here" }', False),
    ],
    ids=["none", "from", "from-named", "word-in-string"],
)
def test_scan_sees_dataset_clauses(text, expected):
    assert guard.scan(text).has_dataset_clause is expected


def test_split_update_keeps_earlier_prefixes_and_parses_load():
    ops = guard.split_update(
        'PREFIX e: <http://e.example/> INSERT DATA { e:a e:b "x;y" } ;\n'
        "LOAD SILENT e:doc INTO GRAPH <http://g.example/> ;\n"
        "DELETE WHERE { ?s e:p ?o ; e:q ?x }"
    )
    assert [op.load for op in ops] == [None, guard.LoadRequest("http://e.example/doc", "http://g.example/", True), None]
    assert ops[2].text.startswith("PREFIX e: <http://e.example/>")
    assert ops[2].text.endswith("DELETE WHERE { ?s e:p ?o ; e:q ?x }")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:8.8.8.8", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1"],
)
def test_non_public_addresses_are_refused(address):
    assert not guard.is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert guard.is_public_address(address)


def test_host_not_on_allow_list_is_refused_with_how_to_allow():
    with pytest.raises(ForbiddenOperation) as refused:
        guard.check_target("SERVICE", "http://data.example/sparql", (), public_resolver)
    assert "not on the allow-list" in str(refused.value)
    assert "--service-allow" in str(refused.value)


def test_allowed_host_resolving_to_loopback_is_refused():
    with pytest.raises(ForbiddenOperation, match="non-public address"):
        guard.check_target("SERVICE", "http://sneaky.example/", ("sneaky.example",), lambda h, p: ["127.0.0.1"])


def test_allowed_host_with_one_private_address_among_public_ones_is_refused():
    with pytest.raises(ForbiddenOperation, match="10.0.0.1"):
        guard.check_target("LOAD", "http://mixed.example/", ("mixed.example",), lambda h, p: [PUBLIC, "10.0.0.1"])


@pytest.mark.parametrize("iri", ["file:///etc/passwd", "ftp://data.example/x", None],
                         ids=["file", "ftp", "unreadable"])
def test_targets_other_than_http_iris_are_refused(iri):
    with pytest.raises(ForbiddenOperation):
        guard.check_target("LOAD", iri, ("data.example",), public_resolver)


def test_allowed_public_host_passes_with_its_addresses():
    target = guard.check_target("SERVICE", "https://Data.Example:8443/q", ("data.example",), public_resolver)
    assert (target.host, target.port, target.addresses) == ("data.example", 8443, (PUBLIC,))


def test_check_scan_refuses_a_request_with_any_refused_target():
    found = guard.scan("SELECT * { SERVICE <http://ok.example/> {} SERVICE <http://other.example/> {} }")
    with pytest.raises(ForbiddenOperation, match="other.example"):
        guard.check_scan(found, ("ok.example",), public_resolver)


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b"<http://a.example/> <http://b.example/> <http://c.example/> .\n" * 100

    def do_GET(self):
        if self.path != "/doc":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"SECRET detail of the remote")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_target():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield guard.Target(f"http://data.example:{port}/doc", "data.example", port, "http", ("127.0.0.1",))
    server.shutdown()
    server.server_close()


def test_exchange_connects_to_the_checked_address_not_a_new_lookup(http_target):
    # the host name does not resolve at all: only the pinned address can have been used
    reply = guard.exchange("LOAD", http_target, guard.Limits())
    assert (reply.status, reply.content_type, len(reply.body)) == (200, "application/n-triples", len(_Handler.body))


def test_exchange_stops_at_the_size_cap_as_a_limit(http_target):
    with pytest.raises(guard.RemoteFailed, match="larger than 100 bytes") as failed:
        guard.exchange("LOAD", http_target, guard.Limits(max_bytes=100))
    assert failed.value.over_limit


def stand_in(name, port):
    """A network where ``name`` resolves to a public address and connecting to it reaches a loopback port."""
    return guard.Network(hosts=((name, (PUBLIC,)),), detours=((PUBLIC, ("127.0.0.1", port)),))


def test_fetch_checks_the_name_then_reaches_the_stand_in_server(http_target):
    fetched = guard.fetch(http_target.url, ("data.example",), network=stand_in("data.example", http_target.port))
    assert (fetched.url, fetched.content_type, fetched.body) == (http_target.url, "application/n-triples", _Handler.body)


def test_fetch_refuses_a_name_off_the_allow_list_before_connecting(http_target):
    with pytest.raises(ForbiddenOperation, match="not on the allow-list"):
        guard.fetch(http_target.url, ("other.example",), network=stand_in("data.example", http_target.port))


def test_network_host_answers_are_checked_like_dns_answers():
    loopback = guard.Network(hosts=(("data.example", ("127.0.0.1",)),))
    with pytest.raises(ForbiddenOperation, match="non-public address"):
        guard.fetch("http://data.example/doc", ("data.example",), network=loopback)


def test_a_non_2xx_answer_fails_without_its_body(http_target):
    url = http_target.url.replace("/doc", "/missing")
    with pytest.raises(guard.RemoteFailed, match="answered HTTP 404") as failed:
        guard.fetch(url, ("data.example",), network=stand_in("data.example", http_target.port))
    assert "SECRET" not in str(failed.value)


def test_a_refused_connection_says_it_could_not_connect():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(guard.RemoteFailed, match="could not connect to data.example"):
        guard.fetch(f"http://data.example:{port}/", ("data.example",), network=stand_in("data.example", port))


def test_a_host_that_never_answers_fails_after_the_read_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(guard.RemoteFailed, match="no answer within the read timeout of 0.2 s"):
            guard.fetch(f"http://data.example:{port}/", ("data.example",), guard.Limits(read_timeout=0.2),
                        stand_in("data.example", port))
        assert time.monotonic() - started < 2


def test_enforce_replaces_refused_silent_targets_and_keeps_allowed_ones():
    text = "SELECT * { SERVICE SILENT <http://10.0.0.1/> {} SERVICE <http://ok.example/> {} }"
    enforced = guard.enforce(text, guard.scan(text), ("ok.example",), public_resolver)
    assert enforced == f"SELECT * {{ SERVICE SILENT <{guard.REFUSED}> {{}} SERVICE <http://ok.example/> {{}} }}"


def test_enforce_raises_for_a_refused_target_without_silent():
    text = "SELECT * { SERVICE SILENT <http://a.example/> {} SERVICE <http://b.example/> {} }"
    with pytest.raises(ForbiddenOperation, match="b.example"):
        guard.enforce(text, guard.scan(text), (), public_resolver)


def test_enforce_leaves_a_text_without_targets_alone():
    text = "SELECT * { ?s ?p ?o }"
    assert guard.enforce(text, guard.scan(text), ()) is text


def test_neutralised_replaces_every_target_prefixed_ones_too():
    text = "PREFIX e: <http://e.example/> LOAD e:doc ; LOAD <http://x.example/> INTO GRAPH <http://g.example/>"
    assert guard.neutralised(text, guard.scan(text)) == (
        f"PREFIX e: <http://e.example/> LOAD <{guard.REFUSED}> ; LOAD <{guard.REFUSED}> INTO GRAPH <http://g.example/>")
