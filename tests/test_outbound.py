"""Where SERVICE and LOAD may connect (the policy) and how they do (the pinned client)."""

import http.server
import socket
import threading
import time

import pytest

from zgckg.errors import ForbiddenOperation
from zgckg.kg import outbound

PUBLIC = "93.184.215.14"


def public_resolver(host, port):
    return [PUBLIC]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:8.8.8.8", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1"],
)
def test_non_public_addresses_are_refused(address):
    assert not outbound.is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert outbound.is_public_address(address)


def test_host_not_on_allow_list_is_refused_with_how_to_allow():
    with pytest.raises(ForbiddenOperation) as refused:
        outbound.check_target("SERVICE", "http://data.example/sparql", (), public_resolver)
    assert "not on the allow-list" in str(refused.value)
    assert "--service-allow" in str(refused.value)


def test_allowed_host_resolving_to_loopback_is_refused():
    with pytest.raises(ForbiddenOperation, match="non-public address"):
        outbound.check_target("SERVICE", "http://sneaky.example/", ("sneaky.example",), lambda h, p: ["127.0.0.1"])


def test_allowed_host_with_one_private_address_among_public_ones_is_refused():
    with pytest.raises(ForbiddenOperation, match="10.0.0.1"):
        outbound.check_target("LOAD", "http://mixed.example/", ("mixed.example",), lambda h, p: [PUBLIC, "10.0.0.1"])


@pytest.mark.parametrize("iri", ["file:///etc/passwd", "ftp://data.example/x", None],
                         ids=["file", "ftp", "unreadable"])
def test_targets_other_than_http_iris_are_refused(iri):
    with pytest.raises(ForbiddenOperation):
        outbound.check_target("LOAD", iri, ("data.example",), public_resolver)


def test_allowed_public_host_passes_with_its_addresses():
    target = outbound.check_target("SERVICE", "https://Data.Example:8443/q", ("data.example",), public_resolver)
    assert (target.host, target.port, target.addresses) == ("data.example", 8443, (PUBLIC,))


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b"<http://a.example/> <http://b.example/> <http://c.example/> .\n" * 100

    def do_GET(self):
        if self.path.startswith("/redirect-to/"):  # /redirect-to/<host> sends the client to that host's /doc
            self.send_response(302)
            self.send_header("Location", f"http://{self.path.removeprefix('/redirect-to/')}/doc")
            self.end_headers()
            return
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
    yield outbound.Target(f"http://data.example:{port}/doc", "data.example", port, "http", ("127.0.0.1",))
    server.shutdown()
    server.server_close()


def test_exchange_connects_to_the_checked_address_not_a_new_lookup(http_target):
    # the host name does not resolve at all: only the pinned address can have been used
    reply = outbound.exchange("LOAD", http_target, outbound.Limits())
    assert (reply.status, reply.content_type, len(reply.body)) == (200, "application/n-triples", len(_Handler.body))


def test_exchange_stops_at_the_size_cap_as_a_limit(http_target):
    with pytest.raises(outbound.RemoteFailed, match="larger than 100 bytes") as failed:
        outbound.exchange("LOAD", http_target, outbound.Limits(max_bytes=100))
    assert failed.value.over_limit


def stand_in(name, port):
    """A network where ``name`` resolves to a public address and connecting to it reaches a loopback port."""
    return outbound.Network(hosts=((name, (PUBLIC,)),), detours=((PUBLIC, ("127.0.0.1", port)),))


def test_fetch_checks_the_name_then_reaches_the_stand_in_server(http_target):
    fetched = outbound.fetch(http_target.url, ("data.example",), network=stand_in("data.example", http_target.port))
    assert (fetched.url, fetched.content_type, fetched.body) == (http_target.url, "application/n-triples", _Handler.body)


def test_fetch_refuses_a_name_off_the_allow_list_before_connecting(http_target):
    with pytest.raises(ForbiddenOperation, match="not on the allow-list"):
        outbound.fetch(http_target.url, ("other.example",), network=stand_in("data.example", http_target.port))


def test_network_host_answers_are_checked_like_dns_answers():
    loopback = outbound.Network(hosts=(("data.example", ("127.0.0.1",)),))
    with pytest.raises(ForbiddenOperation, match="non-public address"):
        outbound.fetch("http://data.example/doc", ("data.example",), network=loopback)


def test_a_non_2xx_answer_fails_without_its_body(http_target):
    url = http_target.url.replace("/doc", "/missing")
    with pytest.raises(outbound.RemoteFailed, match="answered HTTP 404") as failed:
        outbound.fetch(url, ("data.example",), network=stand_in("data.example", http_target.port))
    assert "SECRET" not in str(failed.value)


def test_a_refused_connection_says_it_could_not_connect():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(outbound.RemoteFailed, match="could not connect to data.example"):
        outbound.fetch(f"http://data.example:{port}/", ("data.example",), network=stand_in("data.example", port))


def test_a_host_that_never_answers_fails_after_the_read_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(outbound.RemoteFailed, match="no answer within the read timeout of 0.2 s"):
            outbound.fetch(f"http://data.example:{port}/", ("data.example",), outbound.Limits(read_timeout=0.2),
                        stand_in("data.example", port))
        assert time.monotonic() - started < 2


def test_a_redirect_is_followed_to_a_host_that_passes_the_same_check(http_target):
    url = http_target.url.replace("/doc", f"/redirect-to/data.example:{http_target.port}")
    fetched = outbound.fetch(url, ("data.example",), network=stand_in("data.example", http_target.port))
    assert (fetched.url, fetched.body) == (http_target.url, _Handler.body)


@pytest.mark.parametrize(
    "host, refusal",
    [("elsewhere.example", "elsewhere.example is not on the allow-list"), ("127.0.0.1", "non-public address")],
    ids=["off-the-allow-list", "loopback"],
)
def test_a_redirect_to_a_host_that_fails_the_check_is_refused(http_target, host, refusal):
    url = http_target.url.replace("/doc", f"/redirect-to/{host}:{http_target.port}")
    with pytest.raises(ForbiddenOperation, match=refusal):
        outbound.fetch(url, ("data.example", "127.0.0.1"), network=stand_in("data.example", http_target.port))


def test_more_redirects_than_the_limit_fail(http_target):
    url = http_target.url.replace("/doc", f"/redirect-to/data.example:{http_target.port}")
    with pytest.raises(outbound.RemoteFailed, match="more than 0 redirects"):
        outbound.fetch(url, ("data.example",), outbound.Limits(max_redirects=0), stand_in("data.example", http_target.port))


@pytest.mark.parametrize("iri", ["http://[::1/x", "http://127.0.0.1]:80/x", "http://[not-an-address]/x"],
                         ids=["unclosed-ipv6", "stray-bracket", "bracketed-name"])
def test_a_target_whose_authority_cannot_be_read_is_refused(iri):
    with pytest.raises(ForbiddenOperation):
        outbound.check_target("SERVICE", iri, ("::1", "127.0.0.1", "not-an-address"), public_resolver)


@pytest.mark.parametrize("location", ["[::1", "127.0.0.1]:80"], ids=["unclosed-ipv6", "stray-bracket"])
def test_a_redirect_to_a_location_that_cannot_be_read_fails_as_a_remote_failure(http_target, location):
    # the Location is the remote's choice: an unreadable one is the remote's failure (or a refusal), not a crash
    url = http_target.url.replace("/doc", f"/redirect-to/{location}")
    with pytest.raises((outbound.RemoteFailed, ForbiddenOperation)):
        outbound.fetch(url, ("data.example",), network=stand_in("data.example", http_target.port))
