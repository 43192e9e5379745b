"""What OWL 2 RL reasoning adds to the project's own data, checked triple by triple against expectations
written down here.

Every inferred predicate and every inferred class must have an expectation below; a new alignment or axiom
that makes the reasoner say something new fails ``test_every_inferred_predicate_has_an_expectation`` (or
its class twin) until someone has looked at what it says and written down what it may say. An expectation
names, in words and as a check, what the subject and the object of an inferred triple may be, judged by the
classes the data *asserts* for them (so a type the reasoner derived cannot vouch for itself).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SKOS

from zgckg.config import Config
from zgckg.kg.build import StageTimer, prepare
from zgckg.namespaces import INSTANCES, ONTOLOGY, shorten

ZGO = rdflib.Namespace(ONTOLOGY)
ZG = rdflib.Namespace(INSTANCES)
SCHEMA = rdflib.Namespace("http://schema.org/")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
QB = rdflib.Namespace("http://purl.org/linked-data/cube#")
SDMX_REF_PERIOD = URIRef("http://purl.org/linked-data/sdmx/2009/dimension#refPeriod")

# Classes of the things the report talks about. Records about the report (statements, observations,
# evidence, sentences, documents) are none of these.
REAL_WORLD = (ZGO.Place, ZGO.Organisation, ZGO.Person, ZGO.PersonGroup, ZGO.DevelopmentStage, ZGO.Fund, ZGO.Policy,
              ZGO.TalentProgramme, ZGO.StrategicPositioning, ZGO.Study, SKOS.Concept)
RECORDS = (RDF.Statement, ZGO.Observation, QB.Observation, ZGO.Evidence, ZGO.Sentence)


class Graphs:
    """The ontology, the asserted data and what the reasoner inferred, as the build prepares them."""

    def __init__(self, ontology: rdflib.Graph, asserted: rdflib.Graph, inferred: rdflib.Graph):
        self.ontology, self.asserted, self.inferred = ontology, asserted, inferred

    @cache
    def kinds(self, node: rdflib.term.Node) -> frozenset[URIRef]:
        """The classes the data asserts for ``node`` and all their superclasses in the ontology."""
        found: set[URIRef] = set()
        for cls in self.asserted.objects(node, RDF.type):
            found |= set(self.ontology.transitive_objects(cls, RDFS.subClassOf))
        return frozenset(found)

    def is_a(self, node, *classes) -> bool:
        return bool(self.kinds(node) & set(classes))

    def thing(self, node) -> bool:
        """Something the report talks about, never a record about the report."""
        return self.is_a(node, *REAL_WORLD) and not self.is_a(node, *RECORDS)

    @cache
    def stated_sub_organisations(self) -> frozenset[tuple]:
        """(unit, parent) pairs the data states with zgo:subOrganizationOf, closed under transitivity."""
        pairs = set(self.asserted.subject_objects(ZGO.subOrganizationOf))
        while True:
            more = {(a, d) for a, b in pairs for c, d in pairs if b == c} - pairs
            if not more:
                return frozenset(pairs)
            pairs |= more


@pytest.fixture(scope="module")
def graphs(tmp_path_factory) -> Graphs:
    prepared = prepare(Config(store=tmp_path_factory.mktemp("inferences") / "store"), StageTimer())
    return Graphs(prepared.ontology, prepared.asserted, prepared.inferred)


Check = Callable[[Graphs, rdflib.term.Node, rdflib.term.Node], bool]


def between(subject_classes, object_classes) -> Check:
    return lambda g, s, o: g.is_a(s, *subject_classes) and g.is_a(o, *object_classes)


def things(g: Graphs, s, o) -> bool:
    return g.thing(s) and g.thing(o)


def ours(g: Graphs, s, o) -> bool:
    return isinstance(s, URIRef) and str(s).startswith(ONTOLOGY)


PLACE, ORGANISATION = (ZGO.Place,), (ZGO.Organisation,)

# predicate → (what its inferred triples may be, in words; the check)
PROPERTIES: dict[URIRef, tuple[str, Check]] = {
    ZGO.relatedTo: ("between two things the report talks about, never from or to a record", things),
    ZGO.locatedIn: ("an organisation or a place, in a place", between((*PLACE, *ORGANISATION), PLACE)),
    ZGO.locationOf: ("a place, of an organisation or a place", between(PLACE, (*PLACE, *ORGANISATION))),
    ZGO.partOf: ("a place within a place", between(PLACE, PLACE)),
    ZGO.hasPart: ("a place containing a place", between(PLACE, PLACE)),
    ZGO.sameAreaAs: ("two zones covering the same ground (symmetric)", between((ZGO.Zone,), (ZGO.Zone,))),
    SCHEMA.containedInPlace: ("only place to place (schema.org's own use)", between(PLACE, PLACE)),
    SCHEMA.containsPlace: ("only place to place", between(PLACE, PLACE)),
    SCHEMA.location: ("only an organisation's place: organisation → place, never place → place",
                      between(ORGANISATION, PLACE)),
    ORG.subOrganizationOf: (
        "only what the data states as zgo:subOrganizationOf (a platform is not a unit of its host)",
        lambda g, s, o: (s, o) in g.stated_sub_organisations()),
    ORG.transitiveSubOrganizationOf: (
        "the transitive closure of the stated sub-organisations, nothing more",
        lambda g, s, o: (s, o) in g.stated_sub_organisations()),
    ORG.memberOf: ("an organisation, member of a collaboration (the community's co-builders)",
                   between(ORGANISATION, (ORG.OrganizationalCollaboration,))),
    PROV.wasDerivedFrom: (
        "only a statement, an observation or an evidence record, derived from evidence or a document; never a "
        "company, place or concept",
        lambda g, s, o: g.is_a(s, *RECORDS) and not g.thing(s) and not g.thing(o)),
    PROV.wasAttributedTo: ("a policy, plan or programme, to the organisation that issued it",
                           between((ZGO.Policy, ZGO.TalentProgramme), ORGANISATION)),
    SCHEMA.funder: ("a fund, to the organisation that pays for it", between((ZGO.Fund,), ORGANISATION)),
    SDMX_REF_PERIOD: ("an observation's period, a literal",
                      lambda g, s, o: g.is_a(s, ZGO.Observation) and isinstance(o, Literal)),
    SKOS.related: ("between two concepts", between((SKOS.Concept,), (SKOS.Concept,))),
    ZGO.coBuilt: ("an organisation or fund, to the platform, fund or community it helped build",
                  between((*ORGANISATION, ZGO.Fund), (*ORGANISATION, ZGO.Fund))),
    ZGO.hasComponent: ("a whole and its part, both things the report talks about", things),
    ZGO.exemplifiedBy: ("an economic model, by an enterprise", between((ZGO.EconomicModel,), (ZGO.Enterprise,))),
    ZGO.hasIndustry: ("a place, to an industry clustering there", between(PLACE, (ZGO.Industry,))),
    ZGO.hasLeadingEnterprise: ("an industry, to an enterprise", between((ZGO.Industry,), (ZGO.Enterprise,))),
    ZGO.hosts: ("an organisation, to the platform it stands behind",
                between(ORGANISATION, (ZGO.InnovationPlatform,))),
    ZGO.stageOf: ("a development stage, of a zone", between((ZGO.DevelopmentStage,), (ZGO.Zone,))),
    ZGO.successor: ("a stage after a stage, or a zone after a zone",
                    lambda g, s, o: between((ZGO.DevelopmentStage,), (ZGO.DevelopmentStage,))(g, s, o)
                    or between((ZGO.Zone,), (ZGO.Zone,))(g, s, o)),
    ZGO.comparedWith: ("an observation, compared with a thing the report talks about",
                       lambda g, s, o: g.is_a(s, ZGO.Observation) and g.thing(o)),
    RDFS.subClassOf: ("only about our own terms (a superclass through the hierarchy)", ours),
    RDFS.subPropertyOf: ("only about our own terms", ours),
    RDFS.domain: ("only about our own terms", ours),
    RDFS.range: ("only about our own terms", ours),
}

# inferred class → (which nodes may get it, in words; the check on the node's asserted classes)
CLASSES: dict[URIRef, tuple[str, Callable[[Graphs, rdflib.term.Node], bool]]] = {
    ZGO.Organisation: ("organisations of a narrower kind", lambda g, n: g.is_a(n, ZGO.Organisation)),
    ORG.Organization: ("organisations", lambda g, n: g.is_a(n, ZGO.Organisation)),
    SCHEMA.Organization: ("organisations, never a fund or a policy", lambda g, n: g.is_a(n, ZGO.Organisation)),
    SCHEMA.Corporation: ("enterprises", lambda g, n: g.is_a(n, ZGO.Enterprise)),
    SCHEMA.CollegeOrUniversity: ("universities", lambda g, n: g.is_a(n, ZGO.University)),
    SCHEMA.ResearchOrganization: ("research institutes", lambda g, n: g.is_a(n, ZGO.ResearchInstitute)),
    SCHEMA.GovernmentOrganization: ("government bodies", lambda g, n: g.is_a(n, ZGO.GovernmentBody)),
    ORG.OrganizationalUnit: ("service halls, offices of a body", lambda g, n: g.is_a(n, ZGO.ServiceHall)),
    ZGO.GovernmentBody: ("courts and service halls", lambda g, n: g.is_a(n, ZGO.Court, ZGO.ServiceHall)),
    ZGO.Place: ("zones and areas", lambda g, n: g.is_a(n, ZGO.Place)),
    SCHEMA.Person: ("the persons the report names", lambda g, n: g.is_a(n, ZGO.Person)),
    SCHEMA.Place: ("our places only, never an organisation", lambda g, n: g.is_a(n, ZGO.Place)),
    SCHEMA.AdministrativeArea: ("administrative areas", lambda g, n: g.is_a(n, ZGO.AdministrativeArea)),
    ZGO.Zone: ("parks, zones, centres and communities", lambda g, n: g.is_a(n, ZGO.Zone)),
    ZGO.Policy: ("pilot reforms and plans", lambda g, n: g.is_a(n, ZGO.PilotReform, ZGO.Plan)),
    ZGO.Measure: ("rate measures", lambda g, n: g.is_a(n, ZGO.RateMeasure)),
    SKOS.Concept: ("industries, economic models, platform kinds, measures, qualifiers …",
                   lambda g, n: g.is_a(n, SKOS.Concept)),
    QB.Observation: ("our observations", lambda g, n: g.is_a(n, ZGO.Observation)),
    PROV.Entity: ("evidence records, sentences and documents (the report, the study it cites); no other thing "
                  "the report talks about",
                  lambda g, n: g.is_a(n, PROV.Entity) and (not g.thing(n) or g.is_a(n, ZGO.Study))),
    OA.SpecificResource: ("evidence records", lambda g, n: g.is_a(n, ZGO.Evidence)),
    SCHEMA.Report: ("the source document", lambda g, n: g.is_a(n, ZGO.SourceDocument)),
}


def show(*terms) -> str:
    return " ".join(shorten(str(t)) if isinstance(t, URIRef) else t.n3() for t in terms)


def test_reasoning_adds_something(graphs):
    assert len(graphs.inferred) > 500


def test_every_inferred_predicate_has_an_expectation(graphs):
    predicates = {p for p in graphs.inferred.predicates() if p != RDF.type}
    assert sorted(show(p) for p in predicates - set(PROPERTIES)) == []


def test_every_inferred_class_has_an_expectation(graphs):
    classes = set(graphs.inferred.objects(None, RDF.type))
    assert sorted(show(c) for c in classes - set(CLASSES)) == []


@pytest.mark.parametrize("predicate", list(PROPERTIES), ids=[show(p) for p in PROPERTIES])
def test_inferred_triples_of_this_property_meet_their_expectation(graphs, predicate):
    words, check = PROPERTIES[predicate]
    wrong = [show(s, predicate, o) for s, o in graphs.inferred.subject_objects(predicate) if not check(graphs, s, o)]
    assert wrong == [], f"expected {words}"


@pytest.mark.parametrize("cls", list(CLASSES), ids=[show(c) for c in CLASSES])
def test_inferred_instances_of_this_class_meet_their_expectation(graphs, cls):
    words, check = CLASSES[cls]
    wrong = [show(n) for n in graphs.inferred.subjects(RDF.type, cls) if not check(graphs, n)]
    assert wrong == [], f"expected {words}"


# --- alignments the report decides, asserted or inferred ---------------------------------------------------


def instances(graphs: Graphs, cls: URIRef) -> set[URIRef]:
    return {n for g in (graphs.asserted, graphs.inferred) for n in g.subjects(RDF.type, cls)}


def test_only_the_policy_documents_are_legislation(graphs):
    # The policies the report names by their number of articles (条) are written documents; pilots, plans,
    # policy systems and the four centres (a strategic positioning, p03s05) are not.
    assert instances(graphs, SCHEMA.Legislation) == {
        ZG["new-four-articles"], ZG["jingxiao-ten-articles"], ZG["jingke-nine-articles"], ZG["mps-20-measures"]}


def test_the_four_centres_are_a_strategic_positioning_not_a_policy(graphs):
    four_centres = ZG["four-centres"]
    assert graphs.is_a(four_centres, ZGO.StrategicPositioning)
    assert not graphs.is_a(four_centres, ZGO.Policy, ZGO.Place, ZGO.Organisation)
    assert (four_centres, RDF.type, SCHEMA.Legislation) not in graphs.inferred


def test_only_the_fund_of_funds_is_an_investment_fund_and_the_grant_schemes_are_funding(graphs):
    assert instances(graphs, SCHEMA.InvestmentFund) == {ZG["collaborative-innovation-fund"]}
    assert instances(graphs, SCHEMA.FundingScheme) == {
        ZG["beijing-natural-science-foundation"], ZG["original-innovation-guidance-fund"]}
    assert instances(graphs, SCHEMA.MonetaryGrant) == {ZG["haidian-special-funds"]}
    assert all(graphs.is_a(f, ZGO.Fund) for f in instances(graphs, SCHEMA.FundingScheme))


def test_a_platform_is_not_made_a_unit_of_its_host(graphs):
    hosted = set(graphs.asserted.subject_objects(ZGO.hostedBy))
    assert hosted, "the data states hosts for some platforms"
    for prop in (ZGO.subOrganizationOf, ORG.subOrganizationOf, ORG.transitiveSubOrganizationOf):
        assert [show(s, o) for s, o in hosted if (s, prop, o) in graphs.inferred] == []


def test_skos_broader_never_crosses_concept_schemes(graphs):
    union = graphs.asserted + graphs.inferred
    links = list(union.subject_objects(SKOS.broader))
    assert len(links) > 20
    def schemes(concept):
        return set(union.objects(concept, SKOS.inScheme))

    assert [show(s, o) for s, o in links if not schemes(s) & schemes(o)] == []


def test_new_economy_fields_are_related_to_the_new_economy_from_both_sides(graphs):
    fields = {ZG[f"industry/{f}"] for f in ("mobility", "cloud-services", "big-data", "smart-hardware",
                                            "cyber-security")}
    new_economy = ZG["model/new-economy"]
    assert {f for f in fields if (f, SKOS.related, new_economy) in graphs.asserted} == fields
    assert {f for f in fields if (new_economy, SKOS.related, f) in graphs.inferred} == fields


def test_disjointness_never_names_another_vocabularys_class(graphs):
    members = {m for axiom in graphs.ontology.subjects(RDF.type, OWL.AllDisjointClasses)
               for m in Collection(graphs.ontology, graphs.ontology.value(axiom, OWL.members))}
    members |= {c for pair in graphs.ontology.subject_objects(OWL.disjointWith) for c in pair}
    assert members and all(str(m).startswith(ONTOLOGY) for m in members)


def test_no_entity_or_concept_is_derived_from_a_quote_asserted_or_inferred(graphs):
    """Provenance is about descriptions: no company, place or concept has an evidence link or a
    prov:wasDerivedFrom, in the data or in what the reasoner adds (entities say where they are named with
    zgo:mentionedAt, which means no derivation)."""
    links = [(s, p) for g in (graphs.asserted, graphs.inferred) for p in (ZGO.evidence, PROV.wasDerivedFrom)
             for s in g.subjects(p, None)]
    assert len(links) > 200
    assert [(shorten(str(s)), shorten(str(p))) for s, p in links if graphs.thing(s)] == []
    mentioned = set(graphs.asserted.subjects(ZGO.mentionedAt, None))
    assert len(mentioned) > 100
    assert [shorten(str(s)) for s in mentioned if not graphs.thing(s)] == []
