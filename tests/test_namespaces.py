"""The shared namespaces: shortening IRIs, and the absolute-IRI check the web layer uses for graph IRIs."""

import pyoxigraph as ox
import pytest

from zgckg.namespaces import INSTANCES, is_absolute_iri, shorten

GOOD = [
    "http://example.org/",
    "https://w3id.org/zgckg/graph/asserted",
    "https://w3id.org/zgckg/graph/user/data.ttl",
    "urn:x",
    "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
    "mailto:someone@example.org",
    "tag:yaml.org,2002:int",
    "file:///tmp/x",
    "x:",
    "a+b-c.d:e",
    "http:",
    "http://",
    "http:///x",
    "http://例子.中国/路径",
    "https://w3id.org/zgckg/id/海淀园",
    "http://a/%41",
    "http://%41/",
    "http://a/b?c#d",
    "http://a/?q=\ue000",  # a private-use character is allowed in the query only
    "http://a/\u00a0",
    "http://a/\U0001f600",
    "http://user@host/",
    "http://user:pw@host:8080/p",
    "http://a:80/",
    "http://a:/",
    "http://1.2.3.4/",
    "http://[::1]/",
    "http://[::1]:8080/x",
    "http://[2001:db8::7]/c=GB?objectClass?one",
    "http://[v1.x]/",
    "http://a/'",
    "http://a/!$&()*+,;=",
    "http://a/~_-.",
    "http://a/b/c/./../d",
]

BAD = [
    "",
    "relative/path",
    "/abs",
    "#fragment",
    "1http://a",
    "ht_tp://a",
    "http://a/b c",
    "http://a b/",
    " http://a/",
    "http://a/ ",
    "http://a/<b>",
    'http://a/b"c',
    "http://a/{b}",
    "http://a/b|c",
    "http://a/b^c",
    "http://a/b\\c",
    "http://a/`b`",
    "http://a/b#c#d",
    "http://a/%zz",
    "http://a/b%2",
    "http://a%/",
    "http://a/[x]",
    "http://a/?[x]",
    "http://[::1/",
    "http://[zz]/",
    "http://[fe80::1%25eth0]/",
    "http://a:xx/",
    "http://a@b@c/",
    "http://a/\x00",
    "http://a/\t",
    "http://a/\n",
    "http://a/\x7f",
    "http://a/\ue000",  # private use: not in a path
    "http://a/#\ue000",  # nor in a fragment
    "http://a/\uf8ff",
    "http://a/\ufffe",
]


def _store_accepts(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("text", GOOD)
def test_absolute_iris_are_accepted_as_the_store_accepts_them(text):
    assert _store_accepts(text)
    assert is_absolute_iri(text)


@pytest.mark.parametrize("text", BAD)
def test_what_the_store_refuses_is_refused(text):
    assert not _store_accepts(text)
    assert not is_absolute_iri(text)


def test_a_long_iri_is_checked_quickly():
    import time

    started = time.perf_counter()
    assert not is_absolute_iri("http://" + "a" * 100_000 + " ")
    assert is_absolute_iri("http://a/" + "b/" * 50_000)
    assert time.perf_counter() - started < 1


def test_shorten_uses_the_longest_prefix():
    assert shorten(INSTANCES + "baidu") == "zg:baidu"
    assert shorten("http://other.example/x") == "<http://other.example/x>"
