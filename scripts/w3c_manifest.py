"""The W3C SPARQL 1.1 test manifests, read into plain test records.

Files in the suite are named by IRIs under the suite's published base, so graph names and relative IRIs
in queries and expected results agree with what the test authors wrote; ``Suite.path`` maps an IRI back
to the local file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, Namespace, URIRef
from rdflib.collection import Collection

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SUITE_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"

KINDS = {
    MF.QueryEvaluationTest: "query",
    MF.CSVResultFormatTest: "query",
    MF.UpdateEvaluationTest: "update",
    MF.PositiveSyntaxTest11: "positive-syntax",
    MF.NegativeSyntaxTest11: "negative-syntax",
    MF.PositiveUpdateSyntaxTest11: "positive-update-syntax",
    MF.NegativeUpdateSyntaxTest11: "negative-update-syntax",
}
SYNTAX_KINDS = {"positive-syntax", "negative-syntax", "positive-update-syntax", "negative-update-syntax"}

# Why whole directories or test types are not run through a SPARQL endpoint.
SKIPPED_SUITES = {
    "entailment": "entailment regimes (the servers evaluate under simple entailment only)",
    "service": "federated query (SERVICE needs remote endpoints on the network)",
    "syntax-fed": "federated query (SERVICE needs remote endpoints on the network)",
}
SKIPPED_TYPES = {
    MF.ProtocolTest: "protocol tests (HTTP exchanges, not evaluation tests)",
    MF.GraphStoreProtocolTest: "graph store protocol tests (HTTP exchanges, not evaluation tests)",
    MF.ServiceDescriptionTest: "service description tests (not evaluation tests)",
}
NETWORK_LOAD = "update LOADs a document from the network"
SYNTAX_OFF = "syntax tests (left out with --no-syntax)"


@dataclass(frozen=True)
class GraphFile:
    """A data file and the graph it goes into (None: the default graph)."""

    iri: str
    graph: str | None


@dataclass
class W3CTest:
    iri: str
    name: str
    suite: str
    kind: str
    request: str | None = None
    """The query or update file's IRI."""
    data: list[GraphFile] = field(default_factory=list)
    result: str | None = None
    """Expected results file (query tests)."""
    expected_data: list[GraphFile] = field(default_factory=list)
    """Expected graph store (update tests)."""
    skip: str | None = None

    @property
    def local_name(self) -> str:
        return self.iri.rsplit("#", 1)[-1]

    @property
    def label(self) -> str:
        return f"{self.suite}/{self.local_name}"

    @property
    def is_syntax(self) -> bool:
        return self.kind in SYNTAX_KINDS


@dataclass
class Suite:
    root: Path

    def iri(self, path: Path) -> str:
        return SUITE_BASE + path.resolve().relative_to(self.root.resolve()).as_posix()

    def path(self, iri: str) -> Path:
        if not iri.startswith(SUITE_BASE):
            raise ValueError(f"{iri} is not a file of the test suite")
        return self.root / iri[len(SUITE_BASE) :]

    def read(self, iri: str) -> str:
        return self.path(iri).read_text(encoding="utf-8")

    def tests(self, manifest: str = "manifest-all.ttl", syntax: bool = True) -> list[W3CTest]:
        """Every test the top manifest includes, in manifest order, each marked with why it is skipped."""
        top = self._graph(self.root / manifest)
        tests = []
        for include in _list(top, URIRef(self.iri(self.root / manifest)), MF.include):
            tests += self._manifest_tests(self.path(str(include)))
        for test in tests:
            test.skip = test.skip or self._skip_reason(test, syntax)
        return tests

    def _graph(self, path: Path) -> rdflib.Graph:
        graph = rdflib.Graph()
        graph.parse(path, format="turtle", publicID=self.iri(path))
        return graph

    def _manifest_tests(self, path: Path) -> list[W3CTest]:
        graph = self._graph(path)
        suite = path.parent.name
        return [self._test(graph, entry, suite) for entry in _list(graph, URIRef(self.iri(path)), MF.entries)]

    def _test(self, g: rdflib.Graph, node: URIRef, suite: str) -> W3CTest:
        kind_iri = g.value(node, RDF.type)
        test = W3CTest(str(node), str(g.value(node, MF.name) or node), suite, KINDS.get(kind_iri, "other"))
        test.skip = SKIPPED_SUITES.get(suite) or SKIPPED_TYPES.get(kind_iri)
        if test.skip is None and kind_iri not in KINDS:
            test.skip = f"unknown test type {kind_iri}"
        action = g.value(node, MF.action)
        result = g.value(node, MF.result)
        if test.kind == "query":
            test.request = str(g.value(action, QT.query))
            test.data = [GraphFile(str(f), None) for f in g.objects(action, QT.data)]
            test.data += [GraphFile(str(f), str(f)) for f in g.objects(action, QT.graphData)]
            test.result = str(result) if result is not None else None
            if g.value(action, QT.serviceData) is not None:
                test.skip = test.skip or SKIPPED_SUITES["service"]
        elif test.kind == "update":
            test.request = str(g.value(action, UT.request))
            test.data = _update_graphs(g, action)
            test.expected_data = _update_graphs(g, result)
        elif test.is_syntax:
            test.request = str(action)
        return test

    def _skip_reason(self, test: W3CTest, syntax: bool) -> str | None:
        if test.is_syntax and not syntax:
            return SYNTAX_OFF
        if test.kind in ("positive-update-syntax", "update") and loads_from_network(self.read(test.request)):
            return NETWORK_LOAD
        return None


def _list(graph: rdflib.Graph, subject: URIRef, predicate: URIRef) -> list:
    items = []
    for head in graph.objects(subject, predicate):
        items += list(Collection(graph, head))
    return items


def _update_graphs(g: rdflib.Graph, node) -> list[GraphFile]:
    if node is None:
        return []
    files = [GraphFile(str(f), None) for f in g.objects(node, UT.data)]
    for graph_node in g.objects(node, UT.graphData):
        files.append(GraphFile(str(g.value(graph_node, UT.graph)), str(g.value(graph_node, RDFS.label))))
    return files


_LOAD = re.compile(r"\bLOAD\s+(?:SILENT\s+)?<([^>]*)>", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def loads_from_network(update: str) -> bool:
    """An update that LOADs an http(s) IRI — or a relative one, which resolves against an http base."""
    for iri in _LOAD.findall(update):
        scheme = _SCHEME.match(iri)
        if scheme is None or scheme[0].lower() in ("http:", "https:"):
            return True
    return False


_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_COMMENT = re.compile(r"(^|\s)#[^\n]*")
_TRAILING_VALUES = re.compile(r"\bVALUES\b[^{}]*\{[^{}]*\}\s*$", re.IGNORECASE)


def is_ordered(query: str) -> bool:
    """Whether the query's own solutions are ordered: an ORDER BY after its WHERE clause.

    An ORDER BY inside a subquery does not order the outer results, so only the text after the last
    closing brace (a trailing VALUES block aside) counts.
    """
    code = _TRAILING_VALUES.sub("", _COMMENT.sub(r"\1", query).rstrip())
    return bool(_ORDER_BY.search(code[code.rfind("}") + 1 :]))
