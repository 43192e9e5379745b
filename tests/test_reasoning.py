from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, XSD, Literal

from zgckg.config import Config
from zgckg.errors import ValidationFailed
from zgckg.kg.inputs import load_sources, parse_file, union
from zgckg.kg.reasoning import infer, is_noise
from zgckg.kg.report import Report
from zgckg.kg.build import asserted_graph
from zgckg.kg.rules import infer_with_rules

HERE = Path(__file__).parent
MINI = HERE / "data" / "mini"
ROOT = HERE.parent
M = rdflib.Namespace("http://example.org/mini#")
X = rdflib.Namespace("http://example.org/mini/")


@pytest.fixture(scope="module")
def mini():
    ontology = parse_file(MINI / "ontology" / "mini.ttl")
    data = union(parse_file(p) for p in sorted((MINI / "data").glob("*.ttl")))
    return ontology, data


@pytest.fixture(scope="module")
def inferred(mini):
    return infer(*mini)


@pytest.mark.parametrize(
    "triple",
    [
        (X["haidian-park"], RDF.type, M.Zone),
        (X["haidian-park"], RDF.type, M.Place),
        (X["tsinghua-university"], RDF.type, M.Organisation),
    ],
    ids=["park-is-a-zone", "park-is-a-place", "university-is-an-organisation"],
)
def test_an_instance_typed_with_a_subclass_is_found_under_its_superclasses(inferred, triple):
    assert triple in inferred


def test_an_inverse_relation_is_materialised(inferred):
    assert (X.zhongguancun, M.hasPart, X["haidian-park"]) in inferred


def test_a_transitive_relation_is_materialised_and_its_inverse_too(inferred):
    assert (X["haidian-park"], M.partOf, X.beijing) in inferred
    assert (X.beijing, M.hasPart, X["haidian-park"]) in inferred


def test_a_sub_property_implies_its_super_property(inferred):
    assert (X["tsinghua-university"], M.locatedIn, X["haidian-park"]) in inferred


def test_only_new_triples_are_returned(mini, inferred):
    ontology, data = mini
    assert not [t for t in inferred if t in ontology or t in data]


NOISE = {
    "literal-subject": lambda s, p, o: isinstance(s, Literal),
    "reflexive-same-as": lambda s, p, o: p == OWL.sameAs and s == o,
    "any-same-as": lambda s, p, o: p == OWL.sameAs,
    "type-thing": lambda s, p, o: p == RDF.type and o in (OWL.Thing, RDFS.Resource),
    "built-in-subject": lambda s, p, o: str(s).startswith(tuple(map(str, (RDF, RDFS, OWL, XSD)))),
    "reflexive-subclass": lambda s, p, o: p in (RDFS.subClassOf, OWL.equivalentClass) and s == o,
    "subclass-of-thing": lambda s, p, o: p == RDFS.subClassOf and o == OWL.Thing,
}


@pytest.mark.parametrize("kind", NOISE, ids=list(NOISE))
def test_no_noise_in_the_inferred_triples(inferred, kind):
    assert not [t for t in inferred if NOISE[kind](*t)]


CASES = [
    ((Literal("1988", datatype=XSD.gYear), RDF.type, XSD.gYear), True),
    ((X.beijing, OWL.sameAs, X.beijing), True),
    ((X.beijing, RDF.type, OWL.Thing), True),
    ((OWL.Nothing, RDFS.subClassOf, M.Place), True),
    ((XSD.integer, RDF.type, RDFS.Datatype), True),
    ((M.Place, RDFS.subClassOf, M.Place), True),
    ((M.partOf, RDFS.subPropertyOf, M.partOf), True),
    ((M.Place, RDFS.subClassOf, OWL.Thing), True),
    ((M.locatedIn, RDFS.range, OWL.Thing), True),
    ((X.beijing, RDF.type, M.Place), False),
    ((M.SciencePark, RDFS.subClassOf, M.Place), False),
    ((X.beijing, M.hasPart, X.zhongguancun), False),
    ((M.landedIn, RDFS.range, M.Place), False),
]


@pytest.mark.parametrize(
    "triple, noise",
    CASES,
    ids=[
        "literal-typed-by-datatype", "reflexive-same-as", "type-thing", "nothing-below-everything",
        "axiom-about-xsd", "class-below-itself", "property-below-itself", "class-below-thing", "range-thing",
        "keeps-superclass-type", "keeps-subclass-chain", "keeps-inverse", "keeps-inherited-range",
    ],
)
def test_is_noise(triple, noise):
    assert is_noise(triple) is noise


ODD, BEIJING = f"<{X}odd>", f"<{X}beijing>"
INCONSISTENT = {
    # Organisation and Place are disjoint
    "disjoint-classes": ("x:odd a m:University , m:Zone .", {ODD}),
    "all-disjoint-classes": ("[] a owl:AllDisjointClasses ; owl:members ( m:Zone m:University ) . "
                             "x:odd a m:Zone , m:University .", {ODD}),
    "irreflexive": ("m:near a owl:IrreflexiveProperty . x:odd m:near x:odd .", {ODD}),
    "asymmetric": ("m:above a owl:AsymmetricProperty . x:odd m:above x:beijing . x:beijing m:above x:odd .",
                   {ODD, BEIJING}),
    "instance-of-nothing": ("x:odd a owl:Nothing .", {ODD}),
}


@pytest.mark.parametrize("reasoner", [infer, infer_with_rules], ids=["owlrl", "rules"])
@pytest.mark.parametrize("statements, individuals", INCONSISTENT.values(), ids=list(INCONSISTENT))
def test_an_inconsistency_stops_reasoning_and_names_the_individual(mini, reasoner, statements, individuals):
    ontology, data = mini
    odd = rdflib.Graph()
    odd += data
    odd.parse(data=f"""@prefix m: <{M}> . @prefix x: <{X}> . @prefix owl: <{OWL}> . {statements}""", format="turtle")
    with pytest.raises(ValidationFailed) as caught:
        reasoner(ontology, odd)
    assert {v.focus for v in caught.value.violations} == individuals


def project_graphs():
    """The project's own ontology and data (with the report's sentences), as the build reasons over them."""
    config = Config()
    sources = load_sources(config)
    return sources.for_reasoning(), asserted_graph(sources, Report.read(config.source_file))


def axioms_graphs():
    return parse_file(MINI / "axioms" / "axioms.ttl"), rdflib.Graph()


def mini_graphs():
    ontology = parse_file(MINI / "ontology" / "mini.ttl")
    return ontology, union(parse_file(p) for p in sorted((MINI / "data").glob("*.ttl")))


@pytest.mark.parametrize("graphs", [mini_graphs, axioms_graphs, project_graphs], ids=["mini", "every-rule", "project"])
def test_sparql_rules_infer_exactly_what_owlrl_infers(graphs):
    ontology, data = graphs()
    by_owlrl = set(infer(ontology, data))
    assert by_owlrl, "the fixture must give the reasoners something to do"
    assert set(infer_with_rules(ontology, data)) == by_owlrl


def test_the_rules_fixture_exercises_chains_restrictions_and_lists():
    A = rdflib.Namespace("http://example.org/axioms#")
    inferred = infer_with_rules(*axioms_graphs())
    for triple in [
        (A.kid, A.uncle, A.bob),  # property chain
        (A.park, RDF.type, A.InBeijing),  # hasValue
        (A.park, RDF.type, A.HasChild),  # someValuesFrom
        (A.thing, RDF.type, A.B),  # allValuesFrom
        (A.both, RDF.type, A.BandHasChild),  # intersectionOf
        (A.red, RDF.type, A.Colour),  # oneOf
        (A.C, OWL.equivalentClass, A.D),
        (A.p1, OWL.sameAs, A.p2),  # key
        (A.p1, A.parentOf, A.kid),  # a fact copied to the same individual
    ]:
        assert triple in inferred
