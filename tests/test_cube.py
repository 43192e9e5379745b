"""The report's figures form a well-formed RDF Data Cube: IC-1 to IC-19 hold on the built store.

A checker that finds nothing could be a checker that looks at nothing, so each of several constraints is
also broken on purpose in a copy of the cube, and exactly that constraint must fire.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, RDFS, XSD, Literal, URIRef

from zgckg.kg.cube import CONSTRAINTS, cube_violations
from zgckg.kg.store import StoreDir
from zgckg.namespaces import (
    GRAPH_ASSERTED,
    GRAPH_ONTOLOGY,
    INSTANCES,
    ONTOLOGY,
    PREFIXES,
)

ZG = rdflib.Namespace(INSTANCES)
ZGO = rdflib.Namespace(ONTOLOGY)
QB = rdflib.Namespace(PREFIXES["qb"])
SKOS = rdflib.Namespace(PREFIXES["skos"])


@pytest.fixture(scope="module")
def store(project_built) -> ox.Store:
    return StoreDir(project_built.store).open_read()


@pytest.fixture(scope="module")
def cube(store) -> rdflib.Graph:
    """The built store's ontology and asserted graphs as one rdflib graph, to break copies of."""
    graph = rdflib.Graph()
    for name in (GRAPH_ONTOLOGY, GRAPH_ASSERTED):
        graph.parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(name)).decode(),
                    format="nt")
    return graph


def fired(graph: rdflib.Graph) -> set[str]:
    return {v.message.split(":", 1)[0] for v in cube_violations(graph)}


def broken(cube: rdflib.Graph, remove=(), add=()) -> rdflib.Graph:
    copy = rdflib.Graph()
    copy += cube
    for triple in remove:
        copy.remove(triple)
    for triple in add:
        copy.add(triple)
    return copy


def test_the_table_has_the_nineteen_constraints():
    assert sorted({c.id for c in CONSTRAINTS}, key=lambda i: int(i.split("-")[1])) == [f"IC-{n}" for n in range(1, 20)]


def test_every_integrity_constraint_holds_on_the_built_store(store):
    assert cube_violations(store) == []


def test_the_graph_and_the_store_give_the_same_answer(cube):
    assert cube_violations(cube) == []


def test_the_cube_has_the_eight_dimensions(cube):
    structure = ZG["dsd/report-figures"]
    dimensions = {d for spec in cube.objects(structure, QB.component) for d in cube.objects(spec, QB.dimension)}
    assert dimensions == {ZGO.about, ZGO.measure, ZGO.refPeriod, ZGO.industry, ZGO.counts, ZGO.population,
                          ZGO.programme, ZGO.shareOf}


# --- each constraint can fire ---------------------------------------------------------------------------

OBS = ZG["obs/total-revenue-2016"]


def test_ic12_fires_when_two_observations_share_every_dimension(cube):
    """The people selected for Haiju and for the Thousand Talents Plan differ only by programme."""
    haiju = ZG["obs/district-haiju"]
    copy = broken(cube, remove=[(haiju, ZGO.programme, None)],
                  add=[(haiju, ZGO.programme, ZG["thousand-talents-plan"])])
    assert fired(copy) == {"IC-12"}
    [violation] = cube_violations(copy)
    assert "zg:obs/district-haiju" in violation.focus and "zg:obs/district-thousand-talents" in violation.focus


def test_ic11_fires_when_an_observation_lacks_a_dimension(cube):
    copy = broken(cube, remove=[(OBS, ZGO.population, None)])
    assert fired(copy) == {"IC-11"}


def test_ic19_fires_for_a_value_outside_the_code_list(cube):
    stray = ZG["counted/not-in-the-scheme"]
    copy = broken(cube, remove=[(OBS, ZGO.counts, None)],
                  add=[(OBS, ZGO.counts, stray), (stray, RDF.type, SKOS.Concept)])
    assert fired(copy) == {"IC-19"}


def test_ic5_fires_for_a_concept_dimension_without_a_code_list(cube):
    copy = broken(cube, remove=[(ZGO.counts, QB.codeList, None)])
    assert fired(copy) == {"IC-5"}


def test_ic4_fires_for_a_dimension_without_a_range(cube):
    copy = broken(cube, remove=[(ZGO.refPeriod, RDFS.range, None)])
    assert fired(copy) == {"IC-4"}


def test_ic1_fires_for_an_observation_in_two_data_sets(cube):
    copy = broken(cube, add=[(OBS, QB.dataSet, ZG["dataset/another"])])
    assert "IC-1" in fired(copy)


def test_ic13_fires_when_a_required_attribute_is_missing(cube):
    copy = broken(cube, remove=[(OBS, ZGO.periodBasis, None)])
    assert fired(copy) == {"IC-13"}


def test_ic6_fires_for_an_optional_dimension(cube):
    spec = ZG["dsd/report-figures/industry"]
    copy = broken(cube, add=[(spec, QB.componentRequired, Literal(False))])
    assert fired(copy) == {"IC-6"}


def test_normalisation_runs_first(cube):
    """A dimension declared only through qb:dimension is still a dimension (phase 1): leaving its value out
    of an observation is caught, though the property is not typed qb:DimensionProperty in the copy."""
    copy = broken(cube, remove=[(ZGO.programme, RDF.type, QB.DimensionProperty), (OBS, ZGO.programme, None)])
    assert fired(copy) == {"IC-11"}


def test_a_violation_names_the_constraint_and_the_offending_node(cube):
    copy = broken(cube, remove=[(OBS, ZGO.population, None)])
    [violation] = cube_violations(copy)
    assert violation.message.startswith("IC-11: ")
    assert "zg:obs/total-revenue-2016" in violation.focus and "zgo:population" in violation.focus


def test_the_period_is_always_a_year(cube):
    periods = {o.datatype for o in cube.objects(None, ZGO.refPeriod)}
    assert periods == {XSD.gYear}


def test_every_share_names_a_place_or_body_as_its_whole(cube):
    wholes = set(cube.objects(None, ZGO.shareOf)) - {ZG["code/not-applicable"]}
    assert wholes and not {w for w in wholes if (w, RDF.type, QB.Observation) in cube}
    assert all(isinstance(w, URIRef) for w in wholes)
