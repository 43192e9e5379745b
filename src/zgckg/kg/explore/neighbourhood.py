"""What a graph view draws: one resource's neighbours, or a ready-made view of one kind of relation.

Nodes carry their labels and their class (for colour); edges their property, whether they are inferred,
and their evidence or curation note. The same shape serves both, so the page that draws them expands a
node by asking for its neighbourhood and merging the answer in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import ExplorationTooBroad, ResourceNotFound
from ...namespaces import GRAPH_INFERRED, ONTOLOGY
from ..linked.select import PerVersion, bindings, iri_ref
from .paths import exists
from .relations import Edge, Why, edges_around, left, names, why

if TYPE_CHECKING:
    from ..engine import Engine

ZGO = ONTOLOGY


@dataclass(frozen=True)
class View:
    title: dict[str, str]
    description: dict[str, str]
    subject_class: str
    predicates: tuple[str, ...]


VIEWS = {
    "platforms": View(
        {"zh": "创新平台与机构、企业", "en": "Platforms, institutions and enterprises"},
        {"zh": "谁共建、依托、推动了哪个创新平台，平台落地在哪里。",
         "en": "Who co-built, hosts or pushed each innovation platform, and where it landed."},
        ZGO + "InnovationPlatform",
        (ZGO + "coBuiltBy", ZGO + "hostedBy", ZGO + "initiatedBy", ZGO + "landedIn", ZGO + "locatedIn",
         ZGO + "componentOf", ZGO + "subOrganizationOf"),
    ),
    "policies": View(
        {"zh": "政策、机构与试点", "en": "Policies, bodies and pilots"},
        {"zh": "哪个机构发布、实施了哪项政策，试点由哪些改革组成、适用于哪里。",
         "en": "Which body issued or implements which policy, what each pilot is made of and where it applies."},
        ZGO + "Policy",
        (ZGO + "issuedBy", ZGO + "implementedBy", ZGO + "componentOf", ZGO + "appliesTo", ZGO + "concernsIndustry",
         ZGO + "runBy"),
    ),
}


MAX_EDGES = 2000
"""The most relations a neighbourhood or a view may have: more could not be drawn, and their evidence alone
would take many queries. A hub past it is refused (ExplorationTooBroad), never cut short."""


@dataclass(frozen=True)
class Node:
    iri: str
    labels: dict[str, str]
    kind: str | None
    kind_labels: dict[str, str]


@dataclass(frozen=True)
class Subgraph:
    nodes: list[Node]
    edges: list[tuple[Edge, Why]]


def neighbourhood(engine: Engine, iri: str, *, inferred: bool = False, seconds: float = 30.0) -> Subgraph:
    deadline = time.monotonic() + seconds
    what = f"the neighbourhood of <{iri}>"
    if not exists(engine, iri, deadline=deadline, what=what):
        raise ResourceNotFound(iri)
    edges = edges_around(engine, [iri], inferred=inferred, deadline=deadline, what=what)
    return _subgraph(engine, edges, {iri}, deadline, what)


_VIEW = """
SELECT DISTINCT ?s ?p ?o WHERE {{
  VALUES ?p {{ {predicates} }}
  GRAPH ?h {{ ?s a {cls} }}
  GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?o) && ?g != <{inferred}>)
}} LIMIT {limit}"""

_VIEWS: PerVersion[Subgraph] = PerVersion()


def view(engine: Engine, name: str, *, seconds: float = 30.0) -> Subgraph:
    """A ready-made view (a key of VIEWS): every asserted edge of its properties from its class."""
    spec = VIEWS[name]

    def read() -> Subgraph:
        deadline = time.monotonic() + seconds
        what = f"the view {name}"
        text = _VIEW.format(predicates=" ".join(iri_ref(p) for p in spec.predicates), cls=iri_ref(spec.subject_class),
                            inferred=GRAPH_INFERRED, limit=MAX_EDGES + 1)
        edges = [Edge(r["s"]["value"], r["p"]["value"], r["o"]["value"], False)
                 for r in bindings(engine, text, timeout=left(deadline, what))]
        return _subgraph(engine, edges, set(), deadline, what)

    return _VIEWS.get(engine, name, read)


def _subgraph(engine: Engine, edges: list[Edge], always: set[str], deadline: float, what: str) -> Subgraph:
    if len(edges) > MAX_EDGES:
        raise ExplorationTooBroad(what, f"{MAX_EDGES} relations")
    reasons = why(engine, edges, deadline=deadline, what=what)
    found = names(engine, always | {e.subject for e in edges} | {e.object for e in edges}, deadline=deadline, what=what)
    nodes = [Node(iri, n.labels, n.kind, n.kind_labels) for iri, n in sorted(found.items())]
    return Subgraph(nodes, [(e, reasons.get(e.triple, Why())) for e in edges])
