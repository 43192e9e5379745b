"""Validation of the curated data: SHACL shapes plus the checks that need the report or the whole graph.

``validate`` runs on asserted data only (the data files and the report's sentence graph, never inferred
triples) and returns every finding as a :class:`~zgckg.errors.Violation` naming the data file, the node,
the property and what to fix, in a fixed order (file, node, property, message). The checks:

* the SHACL shapes (``Config.shapes_file``, when there is one), with the ontology as pyshacl's ``ont_graph`` so a class
  target also reaches instances of its subclasses;
* quotes: every evidence record's quote selector (``oa:exact``, with its ``oa:prefix`` and ``oa:suffix``) is
  exactly the report's text at its position selector's ``oa:start``–``oa:end``, and the span lies inside
  the record's ``zgo:sentence``; a mismatch shows the text actually there and
  where the quote does occur;
* relations: every asserted triple whose predicate is a relation (a sub-property of ``zgo:relatedTo``)
  has a reified ``rdf:Statement`` with the same subject, predicate and object, and every reified
  statement's triple is asserted;
* terms and references: every ``zgo:`` term the data uses is defined by the ontology, every ``zg:`` node
  the data describes has a type, and every ``zg:`` node it refers to is described somewhere;
* disjointness: no node is made a member of two disjoint classes by its types and the domains and ranges
  of the properties it is used with — the inconsistency OWL 2 RL reasoning would otherwise report later,
  without a file.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple
from pathlib import Path

import pyshacl
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from ..errors import Violation
from .. import namespaces
from ..namespaces import INSTANCES, ONTOLOGY, shorten
from .report import Report
from .report_graph import report_graph

ZGO = rdflib.Namespace(ONTOLOGY)
ZGS = rdflib.Namespace(namespaces.SHAPES)
OA = rdflib.Namespace(namespaces.OA)

RELATION = ZGO.relatedTo
"""Every relation between entities is a sub-property of this; each asserted use needs a reified statement."""

Triple = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]


def load_shapes(path: Path) -> rdflib.Graph:
    """The SHACL shapes graph in ``path`` (the project's is ``Config.shapes_file``)."""
    return rdflib.Graph().parse(path, format="turtle")


def validate(
    ontology: rdflib.Graph,
    files: Mapping[Path, rdflib.Graph],
    report: Report,
    shapes: rdflib.Graph | None = None,
    *,
    root: Path | None = None,
) -> list[Violation]:
    """Every violation in the data files, sorted by file, node, property and message.

    Without ``shapes`` (a project with no shapes file) every check but SHACL runs. ``files`` maps each
    data file to its own parsed graph; file names in the violations are relative to
    ``root`` (by default the project checkout the report lies in, ``<root>/data/source/…``).
    """
    files = dict(sorted(files.items()))
    locator = Locator(files, root or project_root(report))
    sentences = report_graph(report)
    data = rdflib.Graph()
    for graph in [*files.values(), sentences]:
        data += graph
    found = [
        *(shacl_violations(data, ontology, shapes, locator) if shapes is not None else ()),
        *quote_violations(data, report, locator),
        *relation_violations(files, data, ontology, locator),
        *term_violations(files, ontology, locator),
        *reference_violations(files, data, ontology, locator),
        *disjointness_violations(locator.names, files, sentences, ontology),
    ]
    return sorted(unique(found), key=lambda v: (v.file or "", v.focus, v.path or "", v.message))


def project_root(report: Report) -> Path:
    """The checkout the report lies in (``<root>/data/source/…``): data file names are given relative to it."""
    return Path(report.path).resolve().parents[2]


def unique(violations: Iterable[Violation]) -> list[Violation]:
    """The violations without repeats (Violation is a mutable dataclass, so not hashable)."""
    seen: dict[tuple, Violation] = {}
    for v in violations:
        seen.setdefault((v.file, v.focus, v.path, v.message), v)
    return list(seen.values())


# --- where a node is stated ---------------------------------------------------------------------------


class Locator:
    """Finds the data file that states a node, to name it in a violation."""

    def __init__(self, files: Mapping[Path, rdflib.Graph], root: Path):
        self.files = files
        self.names = {path: relative_name(path, root) for path in files}

    def file_of(self, node: rdflib.term.Node, predicate: rdflib.term.Node | None = None) -> str | None:
        """The first file that states ``node predicate …``, else types it, else describes it, else uses it."""
        patterns = [(node, predicate, None)] if predicate is not None else []
        patterns += [(node, RDF.type, None), (node, None, None), (None, None, node)]
        for pattern in patterns:
            for path, graph in self.files.items():
                if pattern in graph:
                    return self.names[path]
        return None


def relative_name(path: Path, root: Path) -> str:
    """``data/turtle/x.ttl`` for a file below the project root, else the path as given."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def short(term: rdflib.term.Node) -> str:
    """A term as a curator writes it: ``zg:baidu``, ``rdfs:label``, ``"text"``, or ``<iri>``."""
    if isinstance(term, Literal):
        return short_literal(term)
    if isinstance(term, rdflib.BNode):
        return "[]"
    return shorten(str(term))


def short_literal(term: Literal) -> str:
    """A literal as Turtle writes it: ``2014``, ``1.84``, ``"2016"^^xsd:gYear``, ``"小米"@zh``, ``"text"``."""
    if term.datatype in (XSD.integer, XSD.decimal):
        return str(term)
    if term.datatype and term.datatype != XSD.string:
        return f'"{term}"^^{short(term.datatype)}'
    return f'"{term}"@{term.language}' if term.language else f'"{term}"'


# --- SHACL ---------------------------------------------------------------------------------------------


def shacl_violations(
    data: rdflib.Graph, ontology: rdflib.Graph, shapes: rdflib.Graph, locator: Locator
) -> Iterator[Violation]:
    _, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", abort_on_first=False, allow_warnings=True
    )
    for result in results.subjects(RDF.type, SH.ValidationResult):
        yield shacl_violation(results, result, shapes, locator)


def shacl_violation(results: rdflib.Graph, result: rdflib.term.Node, shapes: rdflib.Graph, locator: Locator) -> Violation:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath) or shapes.value(results.value(result, SH.sourceShape), ZGS.path)
    message = str(results.value(result, SH.resultMessage) or "does not conform to its shape")
    value = results.value(result, SH.value)
    if value is not None and value != focus:
        message += f" (found {short(value)})"
    predicate = path if isinstance(path, URIRef) else None
    return Violation(
        file=locator.file_of(focus, predicate),
        focus=short(focus),
        path=render_path(results, path) if path is not None else None,
        message=message,
    )


def render_path(graph: rdflib.Graph, path: rdflib.term.Node) -> str:
    """A SHACL property path in SPARQL syntax: ``rdfs:label``, ``rdfs:comment|zgo:curationNote``, ``^p``."""
    if isinstance(path, URIRef):
        return short(path)
    if (alternatives := graph.value(path, SH.alternativePath)) is not None:
        return "|".join(render_path(graph, p) for p in Collection(graph, alternatives))
    if (inverse := graph.value(path, SH.inversePath)) is not None:
        return "^" + render_path(graph, inverse)
    if graph.value(path, RDF.first) is not None:
        return "/".join(render_path(graph, p) for p in Collection(graph, path))
    return "[complex path]"


# --- quotes against the report ----------------------------------------------------------------------


def quote_violations(data: rdflib.Graph, report: Report, locator: Locator) -> Iterator[Violation]:
    """Each evidence record's selectors find its quote at its offsets, inside its sentence.

    Records whose quote, offsets or sentence are missing or mistyped are left to the shapes, which say so.
    """
    sentences = {URIRef(s.iri): s for s in report.sentences}
    for record in sorted(set(data.subjects(RDF.type, ZGO.Evidence))):
        selectors = list(data.objects(record, OA.hasSelector))
        quote = next((s for s in selectors if (s, OA.exact, None) in data), None)
        position = next((s for s in selectors if (s, OA.start, None) in data), None)
        sentence = data.value(record, ZGO.sentence)
        if quote is None or position is None or sentence is None:
            continue
        exact, prefix, suffix = (data.value(quote, p) for p in (OA.exact, OA.prefix, OA.suffix))
        start, end = data.value(position, OA.start), data.value(position, OA.end)
        if not (_is_text(exact) and _is_int(start) and _is_int(end)) or not 0 <= start.toPython() < end.toPython():
            continue
        span = Span(str(exact), start.toPython(), end.toPython(),
                    None if prefix is None else str(prefix), None if suffix is None else str(suffix))
        for node, path, message in quote_problems(report, sentences, span, sentence, record, quote):
            yield Violation(locator.file_of(node, path), short(node), message, short(path))


class Span(NamedTuple):
    exact: str
    start: int
    end: int
    prefix: str | None
    suffix: str | None


def quote_problems(report, sentences, span: Span, sentence, record, quote) -> Iterator[tuple[rdflib.term.Node, URIRef, str]]:
    found = report.text[span.start:span.end]
    if found != span.exact:
        yield quote, OA.exact, (f'oa:exact "{span.exact}" does not match the report at {span.start}–{span.end}, '
                                f'which reads "{found}"; {where(report, span.exact)}')
    before = report.text[:span.start]
    if span.prefix is not None and not before.endswith(span.prefix):
        yield quote, OA.prefix, f'oa:prefix "{span.prefix}" is not the text before {span.start}, which ends "{before[-12:]}"'
    after = report.text[span.end:]
    if span.suffix is not None and not after.startswith(span.suffix):
        yield quote, OA.suffix, f'oa:suffix "{span.suffix}" is not the text after {span.end}, which starts "{after[:12]}"'
    if sentence not in sentences:
        yield record, ZGO.sentence, f"{short(sentence)} is not a sentence of the report; {sentence_hint(report, span.start)}"
        return
    s = sentences[sentence]
    if not (s.start <= span.start and span.end <= s.end):
        yield record, ZGO.sentence, (f"the span {span.start}–{span.end} is not inside sentence {s.id} "
                                     f"({s.start}–{s.end}); {sentence_hint(report, span.start)}")


def where(report: Report, quote: str) -> str:
    places = report.locate(quote)
    if not places:
        return "the quote occurs nowhere in the report (`zgckg locate` finds a shorter piece of it)"
    listed = ", ".join(f"{start}–{end} in {sentence.id}" for start, end, sentence in places[:3])
    return f"the quote occurs at {listed}"


def sentence_hint(report: Report, start: int) -> str:
    try:
        return f"offset {start} is in {short(URIRef(report.sentence_at(start).iri))}"
    except ValueError:
        return f"offset {start} is not inside any sentence"


def _is_text(term) -> bool:
    return isinstance(term, Literal) and isinstance(term.toPython(), str)


def _is_int(term) -> bool:
    return isinstance(term, Literal) and type(term.toPython()) is int


# --- relations and their reified statements ---------------------------------------------------------


def relation_properties(ontology: rdflib.Graph) -> set[URIRef]:
    """``zgo:relatedTo`` and every property below it."""
    return {p for p in ontology.transitive_subjects(RDFS.subPropertyOf, RELATION) if isinstance(p, URIRef)}


def relation_violations(
    files: Mapping[Path, rdflib.Graph], data: rdflib.Graph, ontology: rdflib.Graph, locator: Locator
) -> Iterator[Violation]:
    statements = reified(data)
    for path, graph in files.items():
        for p in relation_properties(ontology):
            for s, o in graph.subject_objects(p):
                if (s, p, o) not in statements:
                    yield Violation(
                        locator.names[path], short(s),
                        f"{short(s)} {short(p)} {short(o)} has no reified statement: add zg:st/… a rdf:Statement with "
                        "this rdf:subject, rdf:predicate and rdf:object, and zgo:evidence (or zgo:curated true)",
                        short(p),
                    )
    for (s, p, o), nodes in statements.items():
        if (s, p, o) not in data:
            for node in nodes:
                yield Violation(
                    locator.file_of(node, RDF.subject), short(node),
                    f"states {short(s)} {short(p)} {short(o)}, but no data file asserts that triple: add it beside the statement",
                    "rdf:predicate",
                )


def reified(data: rdflib.Graph) -> dict[Triple, list[rdflib.term.Node]]:
    """Reified statements by the triple they describe (only complete ones; the shapes report the rest)."""
    found: dict[Triple, list[rdflib.term.Node]] = defaultdict(list)
    for node in data.subjects(RDF.type, RDF.Statement):
        parts = [list(data.objects(node, p)) for p in (RDF.subject, RDF.predicate, RDF.object)]
        if all(len(values) == 1 for values in parts):
            found[(parts[0][0], parts[1][0], parts[2][0])].append(node)
    return found


# --- terms and references ------------------------------------------------------------------------------


def term_violations(files: Mapping[Path, rdflib.Graph], ontology: rdflib.Graph, locator: Locator) -> Iterator[Violation]:
    """Every ``zgo:`` term used in the data is defined by the ontology (catches typos in terms)."""
    defined = {str(t) for t in ontology.subjects(RDF.type, None) if str(t).startswith(ONTOLOGY)}
    for path, graph in files.items():
        users: dict[str, set[rdflib.term.Node]] = defaultdict(set)
        for s, p, o in graph:
            for term in (p, o):
                # The namespace itself (void:vocabulary zgo:) is the ontology document, not a term.
                if isinstance(term, URIRef) and str(term).startswith(ONTOLOGY) and str(term) not in defined | {ONTOLOGY}:
                    users[str(term)].add(s)
        for term, subjects in users.items():
            example = short(min(subjects))
            yield Violation(
                locator.names[path], short(URIRef(term)),
                f"is not defined by the ontology (used by {len(subjects)} node(s), e.g. {example}){suggest(term, defined)}",
            )


def reference_violations(
    files: Mapping[Path, rdflib.Graph], data: rdflib.Graph, ontology: rdflib.Graph, locator: Locator
) -> Iterator[Violation]:
    """Every ``zg:`` node the data describes has a type; every ``zg:`` node it refers to is described."""
    typed = {str(n) for g in (data, ontology) for n in g.subjects(RDF.type, None)}
    for path, graph in files.items():
        for s in sorted(set(graph.subjects())):
            if _is_instance(s) and str(s) not in typed:
                yield Violation(locator.names[path], short(s), "has no rdf:type, so no shape checks it: add its class", "rdf:type")
        for s, p, o in graph:
            # A wrong sentence IRI is reported by the quote check, with the sentence the offsets are in.
            if _is_instance(o) and str(o) not in typed and p != ZGO.sentence:
                yield Violation(
                    locator.names[path], short(s),
                    f"refers to {short(o)}, which no file describes (it has no rdf:type){suggest(str(o), typed)}",
                    short(p),
                )


def _is_instance(term: rdflib.term.Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(INSTANCES)


def suggest(iri: str, known: Iterable[str]) -> str:
    """``; did you mean zg:haidian-park?`` when a known IRI in the same namespace is spelt almost alike."""
    namespace = ONTOLOGY if iri.startswith(ONTOLOGY) else INSTANCES
    names = {k[len(namespace):]: k for k in known if k.startswith(namespace)}
    close = difflib.get_close_matches(iri[len(namespace):], list(names), n=1, cutoff=0.8)
    return f"; did you mean {short(URIRef(names[close[0]]))}?" if close else ""


# --- disjoint classes ----------------------------------------------------------------------------------


def disjointness_violations(
    names: Mapping, files: Mapping[Path, rdflib.Graph], sentences: rdflib.Graph, ontology: rdflib.Graph
) -> Iterator[Violation]:
    """Nodes that types, domains and ranges place in two disjoint classes (reasoning would fail on them).

    The violation names the file of the use that is not a plain rdf:type, since that is usually the slip.
    """
    schema = Schema(ontology)
    memberships: dict[rdflib.term.Node, dict[URIRef, tuple[str, str | None]]] = defaultdict(dict)
    sources = [(names[path], graph) for path, graph in files.items()] + [(None, sentences)]
    for name, graph in sources:
        for s, p, o in graph:
            for node, cls, reason in schema.classes_implied(s, p, o):
                for super_class in schema.superclasses(cls):
                    known = memberships[node].get(super_class)
                    # A stated type is the best explanation of a membership; keep it over a domain or range.
                    if known is None or (p == RDF.type and not _is_type_reason(known[0])):
                        memberships[node][super_class] = (reason, name)
    for node, classes in memberships.items():
        for a, b in schema.disjoint_pairs(classes):
            (why_a, file_a), (why_b, file_b) = classes[a], classes[b]
            yield Violation(
                file_a if _is_type_reason(why_b) else file_b,
                short(node),
                f"would be both a {short(a)} ({why_a}) and a {short(b)} ({why_b}); the ontology says no node can be both",
            )


def _is_type_reason(reason: str) -> bool:
    return reason.startswith("rdf:type")


class Schema:
    """The parts of the ontology the disjointness check needs: hierarchies, domains, ranges, inverses."""

    def __init__(self, ontology: rdflib.Graph):
        self.graph = ontology
        self.disjoint = disjoint_classes(ontology)
        self._implications: dict[URIRef, list[tuple[bool, URIRef, str, URIRef]]] = {}

    def superclasses(self, cls: URIRef) -> set[URIRef]:
        return set(self.graph.transitive_objects(cls, RDFS.subClassOf))

    def disjoint_pairs(self, classes: Iterable[URIRef]) -> Iterator[tuple[URIRef, URIRef]]:
        ordered = sorted(classes)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if frozenset((a, b)) in self.disjoint:
                    yield a, b

    def classes_implied(self, s, p, o) -> Iterator[tuple[rdflib.term.Node, URIRef, str]]:
        if p == RDF.type:
            if isinstance(o, URIRef):
                yield s, o, f"rdf:type {short(o)}"
            return
        for to_object, prop, axiom, cls in self.implications(p):
            node = o if to_object else s
            if not isinstance(node, Literal):
                role = "object" if to_object else "subject"
                via = "whose" if prop == p else f"via {short(prop)}, whose"
                yield node, cls, f"as the {role} of {short(p)}, {via} {axiom} is {short(cls)}"

    def implications(self, p: URIRef) -> list[tuple[bool, URIRef, str, URIRef]]:
        """(applies to the object?, property, "domain" or "range", class) for each class a ``p`` triple implies.

        Follows sub-properties upwards and owl:inverseOf both ways, as OWL 2 RL does.
        """
        if p not in self._implications:
            self._implications[p] = list(self._implications_of(p))
        return self._implications[p]

    def _implications_of(self, p: URIRef) -> Iterator[tuple[bool, URIRef, str, URIRef]]:
        seen: set[tuple[URIRef, bool]] = set()
        todo = [(p, False)]
        while todo:
            prop, flipped = todo.pop()
            if (prop, flipped) in seen:
                continue
            seen.add((prop, flipped))
            for cls in self.graph.objects(prop, RDFS.domain):
                yield flipped, prop, "domain", cls
            for cls in self.graph.objects(prop, RDFS.range):
                yield not flipped, prop, "range", cls
            todo += [(sup, flipped) for sup in self.graph.objects(prop, RDFS.subPropertyOf)]
            inverses = set(self.graph.objects(prop, OWL.inverseOf)) | set(self.graph.subjects(OWL.inverseOf, prop))
            todo += [(inv, not flipped) for inv in inverses]


def disjoint_classes(ontology: rdflib.Graph) -> set[frozenset[URIRef]]:
    """Pairs of disjoint classes from owl:disjointWith and owl:AllDisjointClasses."""
    pairs = {frozenset((a, b)) for a, b in ontology.subject_objects(OWL.disjointWith)}
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(ontology, ontology.value(axiom, OWL.members)))
        pairs |= {frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :]}
    return pairs
