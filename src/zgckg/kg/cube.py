"""The integrity constraints of the W3C RDF Data Cube Recommendation (section 11, IC-1 to IC-19).

A cube is well-formed when none of the Recommendation's nineteen ASK queries is true on its *normalised*
graph. So :func:`cube_violations` first copies the graph into a private in-memory Oxigraph store, applies
the normalisation algorithm's phase 1 (types and ``qb:componentProperty`` implied by the cube
vocabulary) and phase 2 (components attached at data set or slice level pushed down to observations),
then runs each constraint. A constraint that holds yields nothing; one that fails yields one
:class:`~zgckg.errors.Violation` naming the constraint and a few of the nodes that break it.

What to give it: the ontology and the asserted data together (the data structure definition lives in the
ontology, the data set and observations in the data), either as one ``rdflib.Graph`` or as a built
``pyoxigraph.Store``, of which the ontology and asserted graphs are read. The inferred graph is left out
on purpose: the Recommendation's constraints are defined on the data as published plus normalisation,
not on an OWL closure, so a cube that only holds after reasoning is not well-formed.

The queries (the table ``CONSTRAINTS``) are the Recommendation's, unchanged but for one thing: each is
run as ``SELECT DISTINCT`` over the variables that name the offending nodes (``Constraint.focus``), so a
failure can say where it is; IC-12 and IC-17 project the pair or observation out of their sub-query for
the same reason. IC-19 has the Recommendation's two forms, for a code list that is a
``skos:ConceptScheme`` and one that is a ``skos:Collection``. The Recommendation's templates for
hierarchical code lists, IC-20 and IC-21, are instantiated per ``qb:parentChildProperty`` when the data
has such a list (this project's has none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib

from ..errors import Violation
from ..namespaces import GRAPH_ASSERTED, GRAPH_ONTOLOGY, shorten
from .inputs import to_oxigraph

SAMPLE = 3
"""Offending nodes named per constraint: enough to find the fault, few enough to read."""

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb: <http://purl.org/linked-data/cube#>
"""

# --- normalisation (Recommendation, section 10.2) ------------------------------------------------------

PHASE_1 = """
INSERT { ?o rdf:type qb:Observation . } WHERE { [] qb:observation ?o . } ;
INSERT { ?o rdf:type qb:Observation . } WHERE { ?o qb:dataSet [] . } ;
INSERT { ?s rdf:type qb:Slice . } WHERE { [] qb:slice ?s . } ;
INSERT { ?cs qb:componentProperty ?p . ?p rdf:type qb:DimensionProperty . } WHERE { ?cs qb:dimension ?p . } ;
INSERT { ?cs qb:componentProperty ?p . ?p rdf:type qb:MeasureProperty . } WHERE { ?cs qb:measure ?p . } ;
INSERT { ?cs qb:componentProperty ?p . ?p rdf:type qb:AttributeProperty . } WHERE { ?cs qb:attribute ?p . }
"""

PHASE_2 = """
INSERT { ?obs ?comp ?value } WHERE {
    ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:DataSet .
    ?dataset qb:structure [ qb:component ?spec ] ; ?comp ?value .
    ?obs qb:dataSet ?dataset .
} ;
INSERT { ?obs ?comp ?value } WHERE {
    ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:Slice .
    ?dataset qb:structure [ qb:component ?spec ] ; qb:slice ?slice .
    ?slice ?comp ?value ; qb:observation ?obs .
} ;
INSERT { ?obs ?comp ?value } WHERE {
    ?spec qb:componentProperty ?comp .
    ?comp a qb:DimensionProperty .
    ?dataset qb:structure [ qb:component ?spec ] ; qb:slice ?slice .
    ?slice ?comp ?value ; qb:observation ?obs .
}
"""


@dataclass(frozen=True)
class Constraint:
    """One integrity constraint: its number, what it demands, the variables naming offending nodes, and
    the body of the Recommendation's ASK query (``WHERE`` part)."""

    id: str
    title: str
    focus: tuple[str, ...]
    where: str

    def select(self, limit: int) -> str:
        variables = " ".join(f"?{v}" for v in self.focus)
        return f"{PREFIXES}SELECT DISTINCT {variables} WHERE {{ {self.where} }} LIMIT {limit}"


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint("IC-1", "every observation has exactly one qb:dataSet", ("obs",), """
        { ?obs a qb:Observation . FILTER NOT EXISTS { ?obs qb:dataSet ?dataset1 . } }
        UNION
        { ?obs a qb:Observation ; qb:dataSet ?dataset1, ?dataset2 . FILTER (?dataset1 != ?dataset2) }"""),
    Constraint("IC-2", "every data set has exactly one qb:structure", ("dataset",), """
        { ?dataset a qb:DataSet . FILTER NOT EXISTS { ?dataset qb:structure ?dsd . } }
        UNION
        { ?dataset a qb:DataSet ; qb:structure ?dsd1, ?dsd2 . FILTER (?dsd1 != ?dsd2) }"""),
    Constraint("IC-3", "every data structure definition includes at least one measure", ("dsd",), """
        ?dsd a qb:DataStructureDefinition .
        FILTER NOT EXISTS { ?dsd qb:component [ qb:componentProperty [ a qb:MeasureProperty ] ] }"""),
    Constraint("IC-4", "every dimension declares an rdfs:range", ("dim",), """
        ?dim a qb:DimensionProperty .
        FILTER NOT EXISTS { ?dim rdfs:range [] }"""),
    Constraint("IC-5", "every dimension whose range is skos:Concept has a qb:codeList", ("dim",), """
        ?dim a qb:DimensionProperty ; rdfs:range skos:Concept .
        FILTER NOT EXISTS { ?dim qb:codeList [] }"""),
    Constraint("IC-6", "only attributes may be optional (qb:componentRequired false)", ("componentSpec",), """
        ?dsd qb:component ?componentSpec .
        ?componentSpec qb:componentRequired "false"^^xsd:boolean ; qb:componentProperty ?component .
        FILTER NOT EXISTS { ?component a qb:AttributeProperty }"""),
    Constraint("IC-7", "every slice key belongs to a data structure definition", ("sliceKey",), """
        ?sliceKey a qb:SliceKey .
        FILTER NOT EXISTS { [ a qb:DataStructureDefinition ] qb:sliceKey ?sliceKey }"""),
    Constraint("IC-8", "a slice key's properties are components of its structure", ("slicekey", "prop"), """
        ?slicekey a qb:SliceKey ; qb:componentProperty ?prop .
        ?dsd qb:sliceKey ?slicekey .
        FILTER NOT EXISTS { ?dsd qb:component [ qb:componentProperty ?prop ] }"""),
    Constraint("IC-9", "every slice has exactly one qb:sliceStructure", ("slice",), """
        { ?slice a qb:Slice . FILTER NOT EXISTS { ?slice qb:sliceStructure ?key } }
        UNION
        { ?slice a qb:Slice ; qb:sliceStructure ?key1, ?key2 . FILTER (?key1 != ?key2) }"""),
    Constraint("IC-10", "a slice has a value for every dimension of its slice key", ("slice", "dim"), """
        ?slice qb:sliceStructure [ qb:componentProperty ?dim ] .
        FILTER NOT EXISTS { ?slice ?dim [] }"""),
    Constraint("IC-11", "every observation has a value for every dimension", ("obs", "dim"), """
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty .
        FILTER NOT EXISTS { ?obs ?dim [] }"""),
    Constraint("IC-12", "no two observations of a data set have the same value for every dimension",
               ("obs1", "obs2"), """
        FILTER (?allEqual)
        {
            SELECT ?obs1 ?obs2 (MIN(?equal) AS ?allEqual) WHERE {
                ?obs1 qb:dataSet ?dataset .
                ?obs2 qb:dataSet ?dataset .
                FILTER (?obs1 != ?obs2)
                ?dataset qb:structure/qb:component/qb:componentProperty ?dim .
                ?dim a qb:DimensionProperty .
                ?obs1 ?dim ?value1 .
                ?obs2 ?dim ?value2 .
                BIND (?value1 = ?value2 AS ?equal)
            } GROUP BY ?obs1 ?obs2
        }
        FILTER (STR(?obs1) < STR(?obs2))"""),
    Constraint("IC-13", "every observation has a value for every required attribute", ("obs", "attr"), """
        ?obs qb:dataSet/qb:structure/qb:component ?component .
        ?component qb:componentRequired "true"^^xsd:boolean ; qb:componentProperty ?attr .
        FILTER NOT EXISTS { ?obs ?attr [] }"""),
    Constraint("IC-14", "without a measure dimension, every observation has a value for every measure",
               ("obs", "measure"), """
        ?obs qb:dataSet/qb:structure ?dsd .
        FILTER NOT EXISTS { ?dsd qb:component/qb:componentProperty qb:measureType }
        ?dsd qb:component/qb:componentProperty ?measure .
        ?measure a qb:MeasureProperty .
        FILTER NOT EXISTS { ?obs ?measure [] }"""),
    Constraint("IC-15", "with a measure dimension, an observation has a value for its qb:measureType",
               ("obs", "measure"), """
        ?obs qb:dataSet/qb:structure ?dsd ; qb:measureType ?measure .
        ?dsd qb:component/qb:componentProperty qb:measureType .
        FILTER NOT EXISTS { ?obs ?measure [] }"""),
    Constraint("IC-16", "with a measure dimension, an observation has no measure but its qb:measureType",
               ("obs", "omeasure"), """
        ?obs qb:dataSet/qb:structure ?dsd ; qb:measureType ?measure ; ?omeasure [] .
        ?dsd qb:component/qb:componentProperty qb:measureType ;
             qb:component/qb:componentProperty ?omeasure .
        ?omeasure a qb:MeasureProperty .
        FILTER (?omeasure != ?measure)"""),
    Constraint("IC-17", "with a measure dimension, every measure is present at each point", ("obs1",), """
        {
            SELECT ?obs1 ?numMeasures (COUNT(?obs2) AS ?count) WHERE {
                {
                    SELECT ?dsd (COUNT(?m) AS ?numMeasures) WHERE {
                        ?dsd qb:component/qb:componentProperty ?m .
                        ?m a qb:MeasureProperty .
                    } GROUP BY ?dsd
                }
                ?obs1 qb:dataSet/qb:structure ?dsd ; qb:dataSet ?dataset ; qb:measureType ?m1 .
                ?obs2 qb:dataSet ?dataset ; qb:measureType ?m2 .
                FILTER NOT EXISTS {
                    ?dsd qb:component/qb:componentProperty ?dim .
                    FILTER (?dim != qb:measureType)
                    ?dim a qb:DimensionProperty .
                    ?obs1 ?dim ?v1 .
                    ?obs2 ?dim ?v2 .
                    FILTER (?v1 != ?v2)
                }
            } GROUP BY ?obs1 ?numMeasures
              HAVING (COUNT(?obs2) != ?numMeasures)
        }"""),
    Constraint("IC-18", "an observation in a slice of a data set belongs to that data set", ("obs", "dataset"), """
        ?dataset qb:slice ?slice .
        ?slice qb:observation ?obs .
        FILTER NOT EXISTS { ?obs qb:dataSet ?dataset . }"""),
    Constraint("IC-19", "every dimension value is a code of the dimension's code list (concept scheme)",
               ("obs", "dim", "v"), """
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty ; qb:codeList ?list .
        ?list a skos:ConceptScheme .
        ?obs ?dim ?v .
        FILTER NOT EXISTS { ?v a skos:Concept ; skos:inScheme ?list }"""),
    Constraint("IC-19", "every dimension value is a code of the dimension's code list (collection)",
               ("obs", "dim", "v"), """
        ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty ; qb:codeList ?list .
        ?list a skos:Collection .
        ?obs ?dim ?v .
        FILTER NOT EXISTS { ?v a skos:Concept . ?list skos:member+ ?v }"""),
)


def hierarchical_constraints(store: ox.Store) -> list[Constraint]:
    """IC-20 and IC-21, the Recommendation's templates for hierarchical code lists: one query per
    parent-child property, an IRI walked forwards (IC-20) or ``[ owl:inverseOf p ]`` walked backwards
    (IC-21)."""
    rows = store.query(PREFIXES + """
        SELECT DISTINCT ?pcp ?inverse WHERE {
            ?list a qb:HierarchicalCodeList ; qb:parentChildProperty ?pcp .
            OPTIONAL { ?pcp owl:inverseOf ?inverse }
        }""")
    constraints = []
    for row in rows:
        pcp, inverse = row["pcp"], row["inverse"]
        if inverse is not None:
            number, step, which = "IC-21", f"^<{inverse.value}>", f"?pcp owl:inverseOf <{inverse.value}> ."
        elif isinstance(pcp, ox.NamedNode):
            number, step, which = "IC-20", f"<{pcp.value}>", f"FILTER (?pcp = <{pcp.value}>)"
        else:
            continue
        constraints.append(Constraint(
            number, "every dimension value is in the dimension's hierarchical code list", ("obs", "dim", "v"), f"""
            ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
            ?dim a qb:DimensionProperty ; qb:codeList ?list .
            ?list a qb:HierarchicalCodeList ; qb:parentChildProperty ?pcp . {which}
            ?obs ?dim ?v .
            FILTER NOT EXISTS {{ ?list qb:hierarchyRoot/{step}* ?v }}"""))
    return constraints


def cube_violations(data: rdflib.Graph | ox.Store, *, sample: int = SAMPLE,
                    locate: Callable[[str], str | None] = lambda iri: None) -> list[Violation]:
    """Every Data Cube integrity constraint that fails on ``data`` after normalisation, in IC order.

    ``data`` is one rdflib graph holding the ontology and the asserted data, or a built store (its
    ontology and asserted graphs are read, never the inferred one). Each failing constraint gives one
    violation whose focus names up to ``sample`` offending nodes (or pairs of nodes), and whose file is
    where ``locate`` finds the first of them."""
    store = normalised(data)
    violations = []
    for constraint in (*CONSTRAINTS, *hierarchical_constraints(store)):
        rows = offending(store, constraint, sample)
        if rows:
            first = next((t.value for t in rows[0] if isinstance(t, ox.NamedNode)), None)
            focus = "; ".join(", ".join(_short(t) for t in row) for row in rows)
            violations.append(Violation(locate(first) if first else None, focus, f"{constraint.id}: {constraint.title}"))
    return violations


def offending(store: ox.Store, constraint: Constraint, sample: int) -> list[list]:
    """Up to ``sample`` rows of the nodes breaking ``constraint``."""
    rows = store.query(constraint.select(sample))
    return [[row[v] for v in constraint.focus if row[v] is not None] for row in rows]


def normalised(data: rdflib.Graph | ox.Store) -> ox.Store:
    """A private in-memory copy of ``data`` in its default graph, normalised (phases 1 and 2)."""
    store = ox.Store()
    store.bulk_extend(_quads(data))
    store.update(PREFIXES + PHASE_1)
    store.update(PREFIXES + PHASE_2)
    return store


def _quads(data: rdflib.Graph | ox.Store):
    default = ox.DefaultGraph()
    if isinstance(data, ox.Store):
        for graph in (GRAPH_ONTOLOGY, GRAPH_ASSERTED):
            for quad in data.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
                yield ox.Quad(quad.subject, quad.predicate, quad.object, default)
        return
    for s, p, o in data:
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), default)


def _short(term) -> str:
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    return str(term)
