"""Base IRIs, named-graph IRIs and shared prefixes, defined once.

Every IRI the project mints starts with ``BASE``. A deployment at another host maps its public base onto
this one when serving linked data, so the data itself never changes with the host.
"""

import ipaddress
import re
from collections.abc import Iterable

BASE = "https://w3id.org/zgckg/"

ONTOLOGY = BASE + "ontology#"
"""Ontology terms: hash IRIs, one document holds every term."""

INSTANCES = BASE + "id/"
"""Instances: slash IRIs with readable slugs, e.g. ``id/haidian-park``."""

GRAPH_BASE = BASE + "graph/"
GRAPH_ONTOLOGY = GRAPH_BASE + "ontology"
GRAPH_ASSERTED = GRAPH_BASE + "asserted"
GRAPH_INFERRED = GRAPH_BASE + "inferred"
GRAPH_USER = GRAPH_BASE + "user/"
"""Files loaded with ``zgckg load`` go to ``GRAPH_USER + <file name>`` unless told otherwise."""

BUILT_GRAPHS = {"ontology": GRAPH_ONTOLOGY, "asserted": GRAPH_ASSERTED, "inferred": GRAPH_INFERRED}

REPORT = INSTANCES + "report/haidian-park"
"""The source document; its sentences are ``REPORT + "/" + sentence id``."""
REPORT_TEXT = REPORT + "/text"
"""The report's normalised text (plain text), the source every evidence record's selectors count in."""

SHAPES = BASE + "shapes#"
"""SHACL shapes (``ontology/shapes.ttl``)."""

PREFIXES = {
    "zgo": ONTOLOGY,
    "zg": INSTANCES,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "http://schema.org/",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "unit": "http://qudt.org/vocab/unit/",
    "cur": "http://qudt.org/vocab/currency/",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
}


RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
XSD = PREFIXES["xsd"]
DCTERMS = PREFIXES["dcterms"]
OA = PREFIXES["oa"]
VOID = PREFIXES["void"]
SD = "http://www.w3.org/ns/sparql-service-description#"
"""SPARQL 1.1 Service Description (not a data prefix: only the endpoint's description uses it)."""

_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def shorten(iri: str) -> str:
    """An IRI as a CURIE with the longest matching shared prefix (``zg:baidu``), else ``<iri>``."""
    for prefix, namespace in _LONGEST_FIRST:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return f"<{iri}>"


def sparql_prologue(used_in: str | None = None, declared: Iterable[str] = ()) -> str:
    """PREFIX lines for every shared prefix, for queries written in code; with ``used_in``, only for those
    the text may use (its ``p:`` appears; every one when the text has escapes, which may spell it) and does
    not declare itself."""
    every = used_in is None or "\\u" in used_in or "\\U" in used_in
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items()
                   if p not in declared and (every or f"{p}:" in used_in))


# --- absolute IRIs (RFC 3987) ----------------------------------------------------------------------------
# The grammar of an IRI as RFC 3987 §2.2 writes it, for IRIs a client names (the protocol's graph IRIs, the
# Graph Store's ?graph=): what is refused here is what the store would refuse as a named node.

_UCSCHAR = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    "\U00010000-\U0001fffd\U00020000-\U0002fffd\U00030000-\U0003fffd\U00040000-\U0004fffd"
    "\U00050000-\U0005fffd\U00060000-\U0006fffd\U00070000-\U0007fffd\U00080000-\U0008fffd"
    "\U00090000-\U0009fffd\U000a0000-\U000afffd\U000b0000-\U000bfffd\U000c0000-\U000cfffd"
    "\U000d0000-\U000dfffd\U000e1000-\U000efffd"
)
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_UNRESERVED = "A-Za-z0-9\\-._~" + _UCSCHAR
_SUB_DELIMS = "!$&'()*+,;="
_PCT = "%[0-9A-Fa-f]{2}"
_PCHAR = f"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_IPV4 = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IRI = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+\-.]*):"
    r"(?:"
    rf"//(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*@)?"  # iuserinfo
    rf"(?:\[(?P<literal>[^\]]*)\]|{_IPV4}|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*)"  # ihost
    r"(?::[0-9]*)?"  # port
    rf"(?:/{_PCHAR}*)*"  # ipath-abempty
    rf"|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"  # ipath-absolute
    rf"|{_PCHAR}+(?:/{_PCHAR}*)*"  # ipath-rootless
    r"|"  # ipath-empty
    r")"
    rf"(?:\?(?:{_PCHAR}|[{_IPRIVATE}/?])*)?"  # iquery
    rf"(?:#(?:{_PCHAR}|[/?])*)?",  # ifragment
)
_IPV_FUTURE = re.compile(rf"v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~{_SUB_DELIMS}:]+")


def is_absolute_iri(text: str) -> bool:
    """Whether ``text`` is an absolute IRI (RFC 3987 ``IRI``: a scheme, then the rest; a fragment allowed)."""
    found = _IRI.fullmatch(text)
    if found is None:
        return False
    literal = found.group("literal")
    return literal is None or _is_ip_literal(literal)


def _is_ip_literal(text: str) -> bool:
    """The inside of ``[…]`` in a host: an IPv6 address or RFC 3986's IPvFuture."""
    if _IPV_FUTURE.fullmatch(text):
        return True
    if "%" in text:  # a zone identifier is not part of the IRI syntax
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
