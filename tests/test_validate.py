"""Validation: SHACL shapes plus quote, relation, term, reference and disjointness checks, file by file.

Each fault fixture under tests/data/validate/faults/ is a complete, otherwise clean slice of data with one
mistake; it is validated beside the clean fixtures and must give exactly the one expected violation.
"""

from pathlib import Path

import shutil

import pytest
import rdflib

from zgckg.config import Config
from zgckg.kg.validate import load_shapes, relation_properties, validate

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "validate"
CLEAN = sorted((FIXTURES / "clean").glob("*.ttl"))
ZGO = rdflib.Namespace("https://w3id.org/zgckg/ontology#")


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        if path.name != "shapes.ttl":
            graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return load_shapes(ROOT / "ontology" / "shapes.ttl")


def parsed(paths) -> dict[Path, rdflib.Graph]:
    return {path: rdflib.Graph().parse(path) for path in paths}


def fault(name: str) -> Path:
    return FIXTURES / "faults" / f"{name}.ttl"


def test_clean_data_has_no_violations(ontology, shapes, report):
    assert validate(ontology, parsed(CLEAN), report, shapes) == []


FAULTS = [
    # fixture, focus node, property, part of the message
    ("missing-english-label", "zg:xiaomi", "rdfs:label", "needs an English label"),
    ("quote-moved", "zg:ev/p05s14-didi/quote", "oa:exact", 'which reads "滴滴打车为代表的分享经济、"; the quote occurs at 2015–2028 in p05s14'),
    ("observation-without-unit", "zg:obs/total-revenue-2016", "sdmx-attribute:unitMeasure", "unitMeasure"),
    ("relation-without-statement", "zg:beidou-star", "zgo:leadingEnterpriseOf", "has no reified statement"),
    ("span-outside-sentence", "zg:ev/p05s14-xiaomi", "zgo:sentence", "not inside sentence p05s13 (1970–2001); offset 2003 is in zg:report/haidian-park/p05s14"),
    ("span-reversed", "zg:ev/p05s14-xiaomi/position", "oa:start", "an integer offset below oa:end (`zgckg locate QUOTE` prints it) (found 2014)"),
    ("unknown-sentence", "zg:ev/p05s14-xiaomi", "zgo:sentence", "zg:report/haidian-park/p99s01 is not a sentence of the report"),
    ("share-without-whole", "zg:obs/revenue-share-2016", "zgo:shareOf", "needs zgo:shareOf"),
    ("share-above-100", "zg:obs/revenue-share-2016", "sdmx-measure:obsValue", "between 0 and 100"),
    ("value-as-string", "zg:obs/total-revenue-2016", "sdmx-measure:obsValue", 'xsd:decimal as written (1.84, not "1.84") (found "1.84")'),
    ("curated-without-reason", "zg:st/haidian-district-part-of-beijing", "rdfs:comment|zgo:curationNote", "says why"),
    ("reading-unmarked", "zg:st/baidu-dl-lab-located-in-haidian", "zgo:interpreted", "add zgo:interpreted true"),
    ("statement-without-triple", "zg:st/unistrong-leads-haidian-park", "rdf:predicate", "no data file asserts that triple"),
    ("undefined-term", "zgo:landedInn", None, "did you mean zgo:landedIn?"),
    ("dangling-reference", "zg:obs/total-revenue-2016", "zgo:about", "refers to zg:haidian-prk, which no file describes"),
    ("disjoint-classes", "zg:haidian-park", None, "both a zgo:EconomicModel (as the object of zgo:exemplifies, whose range is zgo:EconomicModel) and a zgo:Place (rdf:type zgo:SciencePark)"),
    ("untyped-node", "zg:xiaomi", "rdf:type", "has no rdf:type"),
]


@pytest.mark.parametrize("name, focus, path, message", FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_gives_exactly_its_violation_naming_file_and_node(ontology, shapes, report, name, focus, path, message):
    violations = validate(ontology, parsed([*CLEAN, fault(name)]), report, shapes)
    assert [(v.file, v.focus, v.path) for v in violations] == [(f"tests/data/validate/faults/{name}.ttl", focus, path)]
    assert message in violations[0].message


def test_violations_are_ordered_by_file_then_node(ontology, shapes, report):
    names = ["share-above-100", "quote-moved", "dangling-reference", "missing-english-label"]
    violations = validate(ontology, parsed([*CLEAN, *map(fault, names)]), report, shapes)
    assert [(v.file.rsplit("/", 1)[-1], v.focus) for v in violations] == [
        ("dangling-reference.ttl", "zg:obs/total-revenue-2016"),
        ("missing-english-label.ttl", "zg:xiaomi"),
        ("quote-moved.ttl", "zg:ev/p05s14-didi/quote"),
        ("share-above-100.ttl", "zg:obs/revenue-share-2016"),
    ]


def test_without_shapes_every_check_but_shacl_runs(ontology, shapes, report):
    files = parsed([*CLEAN, fault("missing-english-label"), fault("quote-moved")])
    with_shapes = [(v.focus, v.path) for v in validate(ontology, files, report, shapes)]
    without = [(v.focus, v.path) for v in validate(ontology, files, report)]
    assert ("zg:xiaomi", "rdfs:label") in with_shapes and ("zg:xiaomi", "rdfs:label") not in without
    assert without and set(without) < set(with_shapes)


def test_file_names_are_relative_to_the_given_root(ontology, shapes, report):
    violations = validate(ontology, parsed([*CLEAN, fault("untyped-node")]), report, shapes, root=FIXTURES)
    assert [v.file for v in violations] == ["faults/untyped-node.ttl"]


def test_a_node_is_reported_in_the_file_that_states_the_faulty_property(ontology, shapes, report, tmp_path):
    # zg:haidian-park is typed in clean/entities.ttl; the observation about it lives in another file.
    extra = tmp_path / "more.ttl"
    extra.write_text(fault("value-as-string").read_text(encoding="utf-8"), encoding="utf-8")
    violations = validate(ontology, parsed([*CLEAN, extra]), report, shapes)
    assert [(v.file, v.focus) for v in violations] == [(str(extra), "zg:obs/total-revenue-2016")]


def test_relations_are_the_sub_properties_of_related_to(ontology):
    relations = relation_properties(ontology)
    assert {ZGO.hosts, ZGO.hostedBy, ZGO.landedIn, ZGO.coreAreaOf, ZGO.leadingEnterpriseOf} <= relations
    assert not {ZGO.about, ZGO.evidence, ZGO.sentence, ZGO.shareOf, ZGO.platformKind} & relations


def test_the_shipped_data_has_no_violations(ontology, shapes, report):
    files = parsed(sorted((ROOT / "data" / "turtle").glob("*.ttl")))
    assert [str(v) for v in validate(ontology, files, report, shapes)] == []


# --- what only the whole data shows: the figure inventory and the Data Cube constraints -------------------


def project_copy(tmp_path: Path, edit) -> Config:
    """The project's ontology and data copied to ``tmp_path``, statistics.ttl passed through ``edit``."""
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    shutil.copytree(ROOT / "data" / "turtle", tmp_path / "turtle")
    statistics = tmp_path / "turtle" / "statistics.ttl"
    statistics.write_text(edit(statistics.read_text(encoding="utf-8")), encoding="utf-8")
    return Config(ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "turtle",
                  source_file=ROOT / "data" / "source" / "haidian-park-report.txt")


def test_the_project_data_passes_the_inventory_and_the_cube_constraints(tmp_path):
    from zgckg.kg.build import validate_only

    assert validate_only(project_copy(tmp_path, lambda text: text)) == []


def test_a_wrong_value_is_a_figure_left_out_and_a_figure_invented(tmp_path):
    from zgckg.kg.build import validate_only

    config = project_copy(tmp_path, lambda text: text.replace("    sdmx-measure:obsValue 30 ;", "    sdmx-measure:obsValue 31 ;", 1))
    found = {(Path(v.file).name, v.focus, v.path) for v in validate_only(config)}
    assert found == {("haidian-park-report.txt", "zg:report/haidian-park/p03s02", None),
                     ("statistics.ttl", "zg:obs/reform-years", "sdmx-measure:obsValue")}


def test_two_observations_with_one_key_break_ic_12_named_in_their_file(tmp_path):
    from zgckg.kg.build import validate_only

    def twin(text: str) -> str:
        start = text.index("obs:reform-years a zgo:Observation")
        block = text[start:text.index(" .\n", start) + 3]
        return text + "\n" + block.replace("obs:reform-years a", "obs:reform-years-again a", 1)

    found = [v for v in validate_only(project_copy(tmp_path, twin)) if v.message.startswith("IC-12")]
    assert len(found) == 1 and Path(found[0].file).name == "statistics.ttl"
    assert "zg:obs/reform-years" in found[0].focus and "zg:obs/reform-years-again" in found[0].focus
