import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from conftest import MINI, mini_settings
from zgckg.errors import DataError, StoreError, ValidationFailed
from zgckg.kg.build import build, load_user_files, user_graph_iri
from zgckg.kg.report_graph import report_graph
from zgckg.kg.report import Report
from zgckg.kg.store import StoreDir
from zgckg.namespaces import GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_USER

ROOT = Path(__file__).resolve().parents[1]
M = "http://example.org/mini#"
X = "http://example.org/mini/"


def ask(config, query: str) -> bool:
    return bool(StoreDir(config.store).open_read().query(query, use_default_graph_as_union=True))


def count(config, graph: str) -> int:
    rows = StoreDir(config.store).open_read().query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(next(iter(rows))["n"].value)


def labels(config, iri: str) -> set[str]:
    rows = StoreDir(config.store).open_read().query(
        f"SELECT ?l {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}", use_default_graph_as_union=True
    )
    return {row["l"].value for row in rows}


def test_each_kind_of_triple_goes_to_its_own_graph(mini_built):
    ontology = rdflib.Graph().parse(MINI / "ontology" / "mini.ttl")
    data = sum((rdflib.Graph().parse(p) for p in (MINI / "data").glob("*.ttl")), rdflib.Graph())
    sentences = report_graph(Report.read(mini_built.source_file))
    assert count(mini_built, GRAPH_ONTOLOGY) == len(ontology)
    assert count(mini_built, GRAPH_ASSERTED) == len(data + sentences)
    assert count(mini_built, GRAPH_INFERRED) > 0
    assert ask(mini_built, f"ASK {{ GRAPH <{GRAPH_INFERRED}> {{ <{X}haidian-park> a <{M}Place> }} }}")
    assert not ask(mini_built, f"ASK {{ GRAPH <{GRAPH_ASSERTED}> {{ <{X}haidian-park> a <{M}Place> }} }}")


def test_inferred_graph_holds_nothing_already_asserted(mini_built):
    assert not ask(mini_built, f"""ASK {{ GRAPH <{GRAPH_INFERRED}> {{ ?s ?p ?o }}
                                    {{ GRAPH <{GRAPH_ASSERTED}> {{ ?s ?p ?o }} }} UNION
                                    {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?s ?p ?o }} }} }}""")


@pytest.mark.parametrize(
    "query",
    [
        f"ASK {{ <{X}haidian-park> a <{M}Place> }}",
        f"ASK {{ <{X}beijing> <{M}hasPart> <{X}zhongguancun> }}",
        f"ASK {{ <{X}haidian-park> <{M}partOf> <{X}beijing> }}",
        f"ASK {{ <{X}tsinghua-university> <{M}locatedIn> <{X}haidian-park> }}",
    ],
    ids=["subclass-instance-under-superclass", "inverse", "transitive", "super-property"],
)
def test_the_store_answers_with_what_the_ontology_implies(mini_built, query):
    assert ask(mini_built, query)


NOISE = {
    "reflexive-same-as": "ASK { ?x <http://www.w3.org/2002/07/owl#sameAs> ?x }",
    "type-thing": "ASK { ?x a <http://www.w3.org/2002/07/owl#Thing> }",
    "type-resource": "ASK { ?x a <http://www.w3.org/2000/01/rdf-schema#Resource> }",
    "built-in-subject": """ASK { ?s ?p ?o FILTER(STRSTARTS(STR(?s), "http://www.w3.org/2001/XMLSchema#")
                          || STRSTARTS(STR(?s), "http://www.w3.org/2002/07/owl#")
                          || STRSTARTS(STR(?s), "http://www.w3.org/2000/01/rdf-schema#")
                          || STRSTARTS(STR(?s), "http://www.w3.org/1999/02/22-rdf-syntax-ns#")) }""",
    "reflexive-subclass": "ASK { ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?c }",
    "owlrl-error-messages": "ASK { ?m a <http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage> }",
}


@pytest.mark.parametrize("query", NOISE.values(), ids=list(NOISE))
def test_no_reasoner_noise_reaches_the_store(mini_built, query):
    assert not ask(mini_built, query)


def test_the_summary_counts_triples_per_graph_and_times_each_stage(mini_config):
    built = build(mini_config)
    assert built.version == StoreDir(mini_config.store).version()
    assert list(built.seconds) == ["parse", "validate", "reason", "load"]
    assert all(seconds >= 0 for seconds in built.seconds.values())
    assert built.triples == {g: count(mini_config, g) for g in (GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY)}


def test_progress_reports_the_start_and_end_of_each_stage(mini_config):
    lines = []
    build(mini_config, progress=lines.append)
    assert [line for line in lines if line.endswith("…")] == ["parse …", "validate …", "reason …", "load …"]
    assert sum("done in" in line for line in lines) == 4


def test_owlrl_builds_the_same_store_as_the_default_rules(mini_built, mini_config):
    from zgckg.kg.reasoning import infer

    build(mini_config, reasoner=infer)
    dump = lambda config: set(StoreDir(config.store).open_read())  # noqa: E731
    assert dump(mini_config) == dump(mini_built)


def broken_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(MINI / "data", data)
    shutil.copy(MINI / "broken" / "broken.ttl", data / "broken.ttl")
    return data


def test_a_broken_file_stops_the_build_and_leaves_the_store_as_it_was(mini_config, tmp_path):
    build(mini_config)
    version, before = StoreDir(mini_config.store).version(), set(StoreDir(mini_config.store).open_read())
    with pytest.raises(DataError) as caught:
        build(mini_settings(mini_config.store, broken_data(tmp_path)))
    assert Path(caught.value.file).name == "broken.ttl" and caught.value.line == 8
    assert StoreDir(mini_config.store).version() == version
    assert set(StoreDir(mini_config.store).open_read()) == before


def test_a_validation_failure_leaves_the_store_as_it_was(mini_config, tmp_path):
    build(mini_config)
    version = StoreDir(mini_config.store).version()
    data = tmp_path / "data"
    shutil.copytree(MINI / "data", data)
    (data / "unlabelled.ttl").write_text("<http://example.org/mini/x> a <http://example.org/mini#Zone> .\n")
    with pytest.raises(ValidationFailed) as caught:
        build(mini_settings(mini_config.store, data))
    assert [(Path(v.file).name, v.focus) for v in caught.value.violations] == [
        ("unlabelled.ttl", "<http://example.org/mini/x>")
    ]
    assert StoreDir(mini_config.store).version() == version


def test_user_graphs_survive_a_rebuild(mini_config, tmp_path):
    build(mini_config)
    mine = tmp_path / "mine.nt"
    mine.write_text("<http://example.org/me> <http://example.org/likes> <http://example.org/mini/beijing> .\n")
    assert load_user_files(mini_config, [mine]) == {GRAPH_USER + "mine.nt": 1}
    build(mini_config)
    assert count(mini_config, user_graph_iri(mine)) == 1


def test_load_puts_each_file_in_its_own_graph_or_all_in_one(mini_config, tmp_path):
    a, b = tmp_path / "a.ttl", tmp_path / "b.rdf"
    a.write_text("<http://e/a> <http://e/p> 1 .\n")
    b.write_text('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                 'xmlns:e="http://e/"><rdf:Description rdf:about="http://e/b"><e:p>2</e:p></rdf:Description></rdf:RDF>')
    assert load_user_files(mini_config, [a, b]) == {GRAPH_USER + "a.ttl": 1, GRAPH_USER + "b.rdf": 1}
    assert load_user_files(mini_config, [a, b], graph="http://e/g") == {"http://e/g": 2}


def test_load_reads_syntaxes_only_rdflib_knows(mini_config, tmp_path):
    trix = tmp_path / "data.trix"
    trix.write_text('<TriX xmlns="http://www.w3.org/2004/03/trix/trix-1/"><graph><triple>'
                    "<uri>http://e/a</uri><uri>http://e/p</uri><uri>http://e/b</uri></triple></graph></TriX>")
    assert load_user_files(mini_config, [trix]) == {GRAPH_USER + "data.trix": 1}


def test_load_refuses_the_graphs_a_build_makes(mini_config, tmp_path):
    build(mini_config)
    mine = tmp_path / "mine.nt"
    mine.write_text("<http://e/a> <http://e/p> <http://e/b> .\n")
    with pytest.raises(StoreError):
        load_user_files(mini_config, [mine], graph=GRAPH_ASSERTED)


def test_load_of_a_broken_file_names_its_line_and_publishes_nothing(mini_config, tmp_path):
    build(mini_config)
    version = StoreDir(mini_config.store).version()
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://e/a> <http://e/p> <http://e/b> .\n<http://e/a> <http://e/p> .\n")
    with pytest.raises(DataError) as caught:
        load_user_files(mini_config, [bad])
    assert caught.value.line == 2
    assert StoreDir(mini_config.store).version() == version


def big_user_graph(path: Path, triples: int) -> None:
    with path.open("w") as out:
        for i in range(triples):
            out.write(f"<http://example.org/big/s{i}> <http://example.org/big/p> \"{i}\" .\n")


def test_a_build_killed_while_loading_leaves_the_previous_store_answering(mini_config, tmp_path):
    """SIGKILL half-way through the load: the old generation keeps answering; the next build cleans up."""
    build(mini_config)
    big = tmp_path / "big.nt"
    big_user_graph(big, 200_000)  # carried over in 50 000-quad chunks: a load that takes a while
    load_user_files(mini_config, [big])
    store_dir = StoreDir(mini_config.store)
    version = store_dir.version()
    assert labels(mini_config, X + "beijing") == {"北京市", "Beijing"}

    changed = tmp_path / "data"
    shutil.copytree(MINI / "data", changed)
    places = changed / "places.ttl"
    places.write_text(places.read_text(encoding="utf-8").replace('"Beijing"@en', '"Peking"@en'), encoding="utf-8")
    env = {**os.environ, "ZGCKG_ONTOLOGY_DIR": str(MINI / "ontology"), "ZGCKG_DATA_DIR": str(changed),
           "ZGCKG_SOURCE_FILE": str(mini_config.source_file)}
    command = [sys.executable, "-m", "zgckg.cli", "build", "--store", str(mini_config.store), "--progress"]
    seen = []
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as child:
        for line in child.stderr:
            seen.append(line)
            if "big.nt: 50000 quads written" in line:  # the new generation is part-way through the load
                child.send_signal(signal.SIGKILL)
                break
    assert child.returncode == -signal.SIGKILL, "".join(seen)

    assert list(store_dir.generations.glob(".tmp-*")), "the killed build left its unfinished generation"
    assert store_dir.version() == version
    assert labels(mini_config, X + "beijing") == {"北京市", "Beijing"}

    build(mini_settings(mini_config.store, changed))
    assert not list(store_dir.generations.glob(".tmp-*"))
    assert labels(mini_config, X + "beijing") == {"北京市", "Peking"}
    assert count(mini_config, user_graph_iri(big)) == 200_000


def test_a_second_writer_waits_for_the_first_and_is_refused_only_after_the_wait(mini_config):
    build(mini_config)

    def write_meanwhile(store):
        started = time.monotonic()
        with pytest.raises(StoreError, match="for over 0.3 s"):
            StoreDir(mini_config.store, lock_wait=0.3).write(lambda other: None, copy_current=False)
        assert time.monotonic() - started >= 0.3

    StoreDir(mini_config.store).write(write_meanwhile, copy_current=True)


def test_how_long_a_build_waits_is_a_setting(mini_config):
    build(mini_config)

    def build_meanwhile(store):
        started = time.monotonic()
        with pytest.raises(StoreError, match="for over 0.2 s"):
            build(dataclasses.replace(mini_config, write_lock_wait=0.2))
        assert 0.2 <= time.monotonic() - started < 5

    StoreDir(mini_config.store).write(build_meanwhile, copy_current=True)


def test_a_build_waits_for_a_write_in_progress_and_then_runs(mini_config):
    build(mini_config)
    store_dir = StoreDir(mini_config.store)
    holding, release = threading.Event(), threading.Event()

    def slow_write(store):
        holding.set()
        release.wait(10)

    writer = threading.Thread(target=store_dir.write, args=(slow_write,), kwargs={"copy_current": False})
    writer.start()
    holding.wait(10)
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    build(mini_config)
    writer.join()
    assert time.monotonic() - started >= 0.4 and labels(mini_config, X + "beijing") == {"北京市", "Beijing"}


def test_a_rebuild_keeps_what_updates_wrote_to_the_default_graph_and_to_other_graphs(mini_config):
    build(mini_config)
    store_dir = StoreDir(mini_config.store)

    def update(store):
        store.update('INSERT DATA { <http://e/a> <http://e/p> "default" . '
                     'GRAPH <http://e/mine> { <http://e/a> <http://e/p> "mine" } }')

    store_dir.write(update, copy_current=True)
    build(mini_config)
    found = {(str(q.graph_name), q.object.value) for q in store_dir.open_read().quads_for_pattern(
        ox.NamedNode("http://e/a"), None, None, None)}
    assert found == {("DEFAULT", "default"), ("<http://e/mine>", "mine")}


ZG = "https://w3id.org/zgckg/id/"
ZGO = "https://w3id.org/zgckg/ontology#"
PROJECT = {
    "enterprise-is-an-organisation": (f"<{ZG}baidu> a <{ZGO}Enterprise>", f"<{ZG}baidu> a <{ZGO}Organisation>"),
    "hosted-by-gives-hosts": (f"<{ZG}baidu-deep-learning-lab> <{ZGO}hostedBy> <{ZG}baidu>",
                              f"<{ZG}baidu> <{ZGO}hosts> <{ZG}baidu-deep-learning-lab>"),
    "part-of-is-transitive": (f"<{ZG}haidian-district> <{ZGO}partOf> <{ZG}beijing> . "
                              f"<{ZG}beijing> <{ZGO}partOf> <{ZG}china>",
                              f"<{ZG}haidian-district> <{ZGO}partOf> <{ZG}china>"),
}


@pytest.mark.parametrize("asserted, inferred", PROJECT.values(), ids=list(PROJECT))
def test_the_project_store_holds_what_its_ontology_implies(project_built, asserted, inferred):
    assert ask(project_built, f"ASK {{ GRAPH <{GRAPH_ASSERTED}> {{ {asserted} }} }}")
    assert not ask(project_built, f"ASK {{ GRAPH <{GRAPH_ASSERTED}> {{ {inferred} }} }}")
    assert ask(project_built, f"ASK {{ GRAPH <{GRAPH_INFERRED}> {{ {inferred} }} }}")


@pytest.mark.parametrize("query", NOISE.values(), ids=list(NOISE))
def test_no_reasoner_noise_reaches_the_project_store(project_built, query):
    assert not ask(project_built, query)


def test_writes_through_update_and_the_graph_store_into_user_graphs_survive_a_rebuild(mini_config):
    from zgckg.kg.engine import GraphWrite
    from zgckg.kg.engine.inprocess import InProcessEngine
    from zgckg.kg.formats import GRAPHS, by_short

    build(mini_config)
    engine = InProcessEngine(mini_config)
    try:
        engine.update(f'INSERT DATA {{ <http://e/a> <http://e/p> "default" . '
                      f'GRAPH <{GRAPH_USER}notes> {{ <http://e/a> <http://e/p> "notes" }} }}')
        engine.write_graph(GraphWrite("PUT", GRAPH_USER + "upload", b'<http://e/a> <http://e/p> "upload" .',
                                      by_short(GRAPHS)["nt"]), timeout=10)
    finally:
        engine.close()
    build(mini_config)
    found = {(str(q.graph_name), q.object.value) for q in StoreDir(mini_config.store).open_read().quads_for_pattern(
        ox.NamedNode("http://e/a"), None, None, None)}
    assert found == {("DEFAULT", "default"), (f"<{GRAPH_USER}notes>", "notes"), (f"<{GRAPH_USER}upload>", "upload")}
