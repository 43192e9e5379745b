"""The ontology: bilingual documentation of every term, agreement with docs/data-model.md, and what OWL 2 RL
reasoning (owlrl) makes of it on a small sample of instance data."""

import re
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.namespace import DCTERMS, SKOS

from zgckg.kg.report_graph import report_graph

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "zgckg.ttl"
VOCABULARY_FILES = sorted((ROOT / "ontology" / "vocabularies").glob("*.ttl"))
ONTOLOGY_IRI = "https://w3id.org/zgckg/ontology"
ZGO = rdflib.Namespace("https://w3id.org/zgckg/ontology#")
ZG = rdflib.Namespace("https://w3id.org/zgckg/id/")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
SCHEMA = rdflib.Namespace("http://schema.org/")
ERRORS = rdflib.Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY_FILE)


def terms(graph: rdflib.Graph) -> list[URIRef]:
    """Every zgo: term the ontology defines (classes, properties, units)."""
    return sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and s.startswith(ZGO)})


TERMS = terms(rdflib.Graph().parse(ONTOLOGY_FILE))


def test_oxigraph_parses_the_ontology_too():
    # The store loads the ontology with Oxigraph, which is stricter than rdflib about prefixed names.
    assert len(list(ox.parse(path=ONTOLOGY_FILE, format=ox.RdfFormat.TURTLE))) == len(rdflib.Graph().parse(ONTOLOGY_FILE))


def test_header_describes_the_ontology_in_both_languages(ontology):
    header = URIRef("https://w3id.org/zgckg/ontology")
    assert (header, RDF.type, OWL.Ontology) in ontology
    for prop in (DCTERMS.title, DCTERMS.description):
        assert {o.language for o in ontology.objects(header, prop)} == {"zh", "en"}
    for prop in (OWL.versionInfo, DCTERMS.license, DCTERMS.created):
        assert ontology.value(header, prop) is not None, prop


@pytest.mark.parametrize("term", TERMS, ids=[t[len(ZGO):] for t in TERMS])
def test_every_term_has_one_label_and_a_comment_in_chinese_and_english(ontology, term):
    for prop in (RDFS.label, RDFS.comment):
        languages = sorted(o.language for o in ontology.objects(term, prop))
        assert languages == ["en", "zh"], f"{prop} of {term}: {languages}"


def test_every_class_and_property_has_an_owl_kind(ontology):
    kinds = {t for t in TERMS if any((t, RDF.type, k) in ontology for k in TERM_TYPES)}
    assert set(TERMS) - kinds == {ZGO.PercentagePoint}  # a unit (qudt:Unit), not a class or property


def documented_terms() -> set[str]:
    """Local names of the zgo: terms docs/data-model.md names (in its class and property tables or as zgo:…)."""
    text = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    names = set(re.findall(r"zgo:([A-Za-z]+)", text))
    for section in ("## Classes (zgo:)", "## Properties (zgo:)"):
        table = text.split(section, 1)[1].split("\n## ", 1)[0]
        for row in re.findall(r"^\| ([^|]+)\|", table, flags=re.M):
            names |= set(re.findall(r"`([A-Za-z]+)`", row))
    return names - {"broader"}  # the doc's row that says to use skos:broader


def test_every_term_in_the_data_model_is_defined(ontology):
    assert {n for n in documented_terms() if (ZGO[n], None, None) not in ontology} == set()


def test_every_term_is_in_the_data_model():
    assert {t[len(ZGO):] for t in TERMS} - documented_terms() == set()


def test_no_owl_same_as_in_the_ontology_or_the_shapes():
    for name in ("zgckg.ttl", "shapes.ttl"):
        graph = rdflib.Graph().parse(ROOT / "ontology" / name)
        assert not list(graph.triples((None, OWL.sameAs, None))), name


# --- OWL 2 RL closure over the ontology and a small sample of instance data ---------------------------

SAMPLE = """
@prefix zgo: <https://w3id.org/zgckg/ontology#> .
@prefix zg: <https://w3id.org/zgckg/id/> .
zg:haidian-district a zgo:AdministrativeArea ; zgo:partOf zg:beijing .
zg:beijing a zgo:AdministrativeArea ; zgo:partOf zg:china .
zg:china a zgo:AdministrativeArea .
zg:haidian-park zgo:coreAreaOf zg:zgc-demonstration-zone .
zg:zgc-demonstration-zone a zgo:DemonstrationZone .
zg:vimicro a zgo:Enterprise ; zgo:leadingEnterpriseOf zg:industry\\/ic-design .
zg:permanent-residence-hall a zgo:ServiceHall ; zgo:subOrganizationOf zg:ministry-of-public-security .
zg:ministry-of-public-security a zgo:GovernmentBody .
"""


@pytest.fixture(scope="module")
def closure(ontology, report) -> tuple[rdflib.Graph, rdflib.Graph]:
    """(asserted, closure): the clean validation fixtures, the sentences and SAMPLE, before and after owlrl."""
    asserted = rdflib.Graph().parse(data=SAMPLE, format="turtle")
    for path in sorted((ROOT / "tests" / "data" / "validate" / "clean").glob("*.ttl")):
        asserted.parse(path)
    asserted += report_graph(report)
    graph = rdflib.Graph()
    graph += ontology
    for path in VOCABULARY_FILES:  # as the build reasons: with the excerpts of ORG and SKOS
        graph.parse(path)
    graph += asserted
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return asserted, graph


def test_closure_finds_no_inconsistency(closure):
    _, graph = closure
    assert [str(m) for m in graph.objects(None, ERRORS.error)] == []


@pytest.mark.parametrize(
    "node, cls",
    [
        (ZG.unistrong, ZGO.Organisation),
        (ZG.unistrong, ORG.Organization),
        (ZG.unistrong, SCHEMA.Corporation),
        (ZG["baidu-dl-lab"], ZGO.Organisation),
        (ZG["haidian-park"], ZGO.Place),
        (ZG["haidian-park"], SCHEMA.Place),
        (ZG["industry/ic-design"], ZGO.Industry),  # from the range of zgo:leadingEnterpriseOf
        (ZG["obs/national-hte-share-2016"], URIRef("http://purl.org/linked-data/cube#Observation")),
        (URIRef("https://w3id.org/zgckg/id/ev/p03s01-haidian-park"), URIRef("http://www.w3.org/ns/prov#Entity")),
    ],
    ids=["enterprise-is-organisation", "enterprise-is-org-organization", "enterprise-is-schema-corporation",
         "platform-is-organisation", "park-is-place", "park-is-schema-place", "range-types-industry",
         "observation-is-qb-observation", "evidence-is-prov-entity"],
)
def test_closure_types_instances_with_superclasses_and_ranges(closure, node, cls):
    _, graph = closure
    assert (node, RDF.type, cls) in graph


@pytest.mark.parametrize(
    "triple",
    [
        (ZG.baidu, ZGO.hosts, ZG["baidu-dl-lab"]),
        (ZG["haidian-district"], ZGO.locationOf, ZG["baidu-dl-lab"]),
        (ZG["industry/beidou-spatial-info"], ZGO.hasLeadingEnterprise, ZG.unistrong),
        (ZG.beijing, ZGO.hasPart, ZG["haidian-park"]),
    ],
    ids=["hosts", "location-of", "has-leading-enterprise", "has-part"],
)
def test_closure_materialises_inverses(closure, triple):
    asserted, graph = closure
    assert triple not in asserted and triple in graph


@pytest.mark.parametrize(
    "triple",
    [
        (ZG["haidian-district"], ZGO.partOf, ZG.china),
        (ZG["baidu-dl-lab"], ZGO.locatedIn, ZG.china),  # landedIn ⊑ locatedIn, then partOf ⊑ locatedIn, transitive
        (ZG["haidian-park"], ZGO.partOf, ZG["zgc-demonstration-zone"]),  # coreAreaOf ⊑ partOf
        (ZG["permanent-residence-hall"], ORG.transitiveSubOrganizationOf, ZG["ministry-of-public-security"]),
        (ZG["baidu-dl-lab"], ZGO.relatedTo, ZG.baidu),
        (ZG["haidian-park"], SCHEMA.containedInPlace, ZG.beijing),
    ],
    ids=["part-of-is-transitive", "located-in-over-places", "core-area-is-part", "org-transitive-sub-organisation",
         "related-to", "schema-contained-in-place"],
)
def test_closure_follows_transitive_and_super_properties(closure, triple):
    asserted, graph = closure
    assert triple not in asserted and triple in graph


def test_about_does_not_make_what_a_figure_describes_an_observation(closure):
    _, graph = closure
    assert (ZG["obs/national-hte-share-2016"], ZGO.about, ZG["haidian-park"]) in graph
    assert (ZG["haidian-park"], RDF.type, ZGO.Observation) not in graph


def test_closure_adds_no_owl_same_as_between_different_nodes(closure):
    _, graph = closure
    assert [(s, o) for s, o in graph.subject_objects(OWL.sameAs) if s != o] == []


def test_a_node_in_two_disjoint_classes_is_an_inconsistency(ontology):
    graph = rdflib.Graph()
    graph += ontology
    graph.add((ZG["haidian-park"], RDF.type, ZGO.SciencePark))
    graph.add((ZG["haidian-park"], RDF.type, ZGO.GovernmentBody))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    assert any("haidian-park" in str(m) for m in graph.objects(None, ERRORS.error))


def test_disjointness_leaves_skos_concept_to_other_datasets(ontology):
    # An authority file a user loads may type a government agency as a skos:Concept; our axioms must not
    # make that inconsistent.
    graph = rdflib.Graph()
    graph += ontology
    graph.add((ZG["ministry-of-public-security"], RDF.type, ZGO.GovernmentBody))
    graph.add((ZG["ministry-of-public-security"], RDF.type, SKOS.Concept))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    assert [str(m) for m in graph.objects(None, ERRORS.error)] == []


# --- other vocabularies: aligned to, never described ---------------------------------------------------------


def foreign(term) -> bool:
    """An IRI of another vocabulary (not our ontology, not our instances)."""
    return isinstance(term, URIRef) and not str(term).startswith((str(ZGO), ONTOLOGY_IRI, str(ZG)))


def test_the_ontology_asserts_nothing_about_another_vocabularys_terms(ontology):
    assert sorted({str(s) for s in ontology.subjects() if foreign(s)}) == []


@pytest.mark.parametrize("path", VOCABULARY_FILES, ids=[p.name for p in VOCABULARY_FILES])
def test_each_vocabulary_excerpt_names_its_vocabulary_and_describes_only_its_terms(path):
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# Excerpt of ") and "http" in first, first
    assert "Not part of the zgckg ontology" in text
    graph = rdflib.Graph().parse(path)
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef)}
    assert subjects and all(foreign(s) for s in subjects)
    namespaces = {str(s).rsplit("#", 1)[0] + "#" if "#" in str(s) else str(s).rsplit("/", 1)[0] + "/" for s in subjects}
    assert len(namespaces) == 1, namespaces  # one vocabulary per file


def test_the_reasoner_reads_the_excerpts_but_the_published_ontology_leaves_them_out():
    from zgckg.config import Config
    from zgckg.kg.inputs import load_sources

    sources = load_sources(Config(store=ROOT / "var" / "unused"))
    assert set(sources.vocabulary_files) == set(VOCABULARY_FILES)
    transitive = (ORG.transitiveSubOrganizationOf, RDF.type, OWL.TransitiveProperty)
    assert transitive not in sources.ontology()
    assert transitive in sources.for_reasoning()
