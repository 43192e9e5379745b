import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from conftest import MINI, free_port
from zgckg.cli import main
from zgckg.kg.report import Report
from zgckg.kg.store import StoreDir
from zgckg.namespaces import GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_USER

ZGCKG = Path(sys.executable).parent / "zgckg"
STORE_COMMANDS = ["build", "query", "export", "load", "stats", "serve"]
COMMANDS = [*STORE_COMMANDS, "validate", "locate"]
PLACES = "SELECT ?x WHERE { ?x a <http://example.org/mini#Place> } ORDER BY ?x"


def mini_env(config) -> dict[str, str]:
    return {
        "ZGCKG_STORE": str(config.store),
        "ZGCKG_ONTOLOGY_DIR": str(config.ontology_dir),
        "ZGCKG_DATA_DIR": str(config.data_dir),
        "ZGCKG_SOURCE_FILE": str(config.source_file),
    }


def run(config, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), env=mini_env(config), input=stdin)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_and_takes_a_store_if_it_uses_one(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    takes_store = "--store DIRECTORY" in result.output and "Default: var/store" in result.output
    assert takes_store == (command in STORE_COMMANDS)


def test_build_ends_with_triples_per_graph_and_seconds_per_stage(mini_config):
    result = run(mini_config, "build")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"built store generation {StoreDir(mini_config.store).version()}"
    for graph in (GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY):
        assert re.search(rf"^{re.escape(graph)}\s+\d+$", result.stdout, re.M)
    for stage in ("parse", "validate", "reason", "load", "total"):
        assert re.search(rf"^{stage}\s+\d+\.\d\d$", result.stdout, re.M)


def test_build_shows_progress_only_when_asked_or_on_a_terminal(mini_config):
    assert run(mini_config, "build").stderr == ""
    shown = run(mini_config, "build", "--progress").stderr.splitlines()
    assert [re.sub(r"^\[\s*\d+\.\d\d s\] ", "", line) for line in shown if line.endswith("…")] == [
        "parse …", "validate …", "reason …", "load …"
    ]


def test_build_with_a_broken_file_prints_file_line_message_and_nothing_else(mini_config, tmp_path):
    """The real console script: one line on stderr, exit status 1, the store untouched."""
    assert run(mini_config, "build").exit_code == 0
    version = StoreDir(mini_config.store).version()
    data = tmp_path / "data"
    shutil.copytree(MINI / "data", data)
    shutil.copy(MINI / "broken" / "broken.ttl", data / "broken.ttl")
    env = {**mini_env(mini_config), "ZGCKG_DATA_DIR": str(data)}
    done = subprocess.run([ZGCKG, "build"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert re.fullmatch(r"data/broken\.ttl:8: [^\n]+\n", done.stderr), done.stderr
    assert done.stdout == ""
    assert StoreDir(mini_config.store).version() == version


def test_build_that_fails_validation_lists_each_violation(mini_config, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINI / "data", data)
    (data / "unlabelled.ttl").write_text("<http://example.org/mini/x> a <http://example.org/mini#Zone> .\n")
    mini_config = mini_config.with_values({"data_dir": data})
    result = run(mini_config, "build")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[-1] == "1 violation(s)"
    assert "unlabelled.ttl: <http://example.org/mini/x> [rdfs:label]" in lines[0]
    assert not StoreDir(mini_config.store).exists()


def test_validate_reports_clean_data(mini_config):
    result = run(mini_config, "validate")
    assert (result.exit_code, result.stdout) == (0, "no violations\n")


def test_locate_prints_sentence_and_offsets_that_slice_to_the_quote(mini_config):
    quote = "国家级高新技术企业"
    result = run(mini_config, "locate", quote)
    assert result.exit_code == 0
    report = Report.read(mini_config.source_file)
    rows = [line.split() for line in result.stdout.splitlines()[2:-1]]
    assert rows and len(rows) == len(report.locate(quote))
    for sentence_id, start, end, iri in rows:
        assert report.text[int(start) : int(end)] == quote
        assert report.sentence(sentence_id).start <= int(start) and iri.endswith(sentence_id)


def test_locate_of_an_absent_quote_fails(mini_config):
    result = run(mini_config, "locate", "硅谷以外的地方")
    assert result.exit_code == 1 and "not found" in result.stderr


def test_query_prints_a_table_by_default(mini_built):
    result = run(mini_built, "query", PLACES)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "x",
        "--------------------------------------",
        "<http://example.org/mini/beijing>",
        "<http://example.org/mini/haidian-park>",
        "<http://example.org/mini/zhongguancun>",
        "(3 rows)",
    ]


def test_query_csv_from_a_file(mini_built, tmp_path):
    query = tmp_path / "places.rq"
    query.write_text(PLACES)
    result = run(mini_built, "query", str(query), "--format", "csv")
    assert result.stdout_bytes == (
        b"x\r\nhttp://example.org/mini/beijing\r\nhttp://example.org/mini/haidian-park\r\n"
        b"http://example.org/mini/zhongguancun\r\n"
    )


def test_query_json_from_standard_input(mini_built):
    result = run(mini_built, "query", "-", "--format", "json", stdin="ASK { ?s a <http://example.org/mini#Zone> }")
    assert json.loads(result.stdout) == {"head": {}, "boolean": True}


def test_query_without_union_sees_only_the_default_graph(mini_built):
    result = run(mini_built, "query", "ASK { ?s ?p ?o }", "--format", "json", "--no-union")
    assert json.loads(result.stdout)["boolean"] is False


@pytest.mark.parametrize("allow", [[], ["--service-allow", "127.0.0.1"]], ids=["not-allowed", "allowed-but-loopback"])
def test_query_service_to_a_loopback_port_is_refused_with_how_to_allow_a_host(mini_built, allow):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        result = run(mini_built, "query", f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}", *allow)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert result.exit_code == 1 and f"SERVICE <http://127.0.0.1:{port}/> is refused" in result.stderr


def test_query_syntax_error_prints_the_parser_message(mini_built):
    result = run(mini_built, "query", "SELECT ?x WHERE { ?x ?y }")
    assert result.exit_code == 1
    assert re.fullmatch(r"error at 1:\d+: [^\n]+\n", result.stderr)


def test_query_with_a_format_that_does_not_fit_is_a_usage_error(mini_built):
    result = run(mini_built, "query", PLACES, "--format", "ttl")
    assert result.exit_code == 2 and "SELECT" in result.stderr


def test_query_without_a_store_says_how_to_make_one(mini_config):
    result = run(mini_config, "query", PLACES)
    assert result.exit_code == 1 and "zgckg build" in result.stderr


def parsed(data: bytes, fmt: str, into: rdflib.Graph) -> rdflib.Graph:
    """rdflib as an independent reader; its Dataset and JSON-LD parsers call rdflib's own deprecated API."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        into.parse(data=data, format=fmt)
    return into


@pytest.mark.parametrize("fmt, parser", [("ttl", "turtle"), ("nt", "nt"), ("xml", "xml"), ("n3", "n3")])
def test_export_of_all_graphs_as_triples_is_their_union(mini_built, fmt, parser):
    result = run(mini_built, "export", "--format", fmt)
    assert result.exit_code == 0
    union = run(mini_built, "query", "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }", "--format", "csv")
    assert len(parsed(result.stdout_bytes, parser, rdflib.Graph())) == int(union.stdout.split()[1])


@pytest.mark.parametrize("fmt, parser", [("nq", "nquads"), ("trig", "trig"), ("jsonld", "json-ld")])
def test_export_as_quads_keeps_graph_names(mini_built, fmt, parser):
    result = run(mini_built, "export", "--format", fmt)
    names = {str(g.identifier) for g in parsed(result.stdout_bytes, parser, rdflib.Dataset()).graphs() if len(g)}
    assert names == {GRAPH_ASSERTED, GRAPH_INFERRED, GRAPH_ONTOLOGY}


def test_export_of_one_graph_to_a_file(mini_built, tmp_path):
    out = tmp_path / "inferred.nt"
    result = run(mini_built, "export", "--format", "nt", "--graph", "inferred", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    exported = rdflib.Graph().parse(out, format="nt")
    count = run(mini_built, "query", f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH_INFERRED}> {{ ?s ?p ?o }} }}",
                "--format", "csv")
    assert len(exported) == int(count.stdout.split()[1])
    haidian = rdflib.URIRef("http://example.org/mini/haidian-park")
    assert (haidian, rdflib.RDF.type, rdflib.URIRef("http://example.org/mini#Place")) in exported
    assert (haidian, rdflib.RDF.type, rdflib.URIRef("http://example.org/mini#SciencePark")) not in exported


def test_export_of_an_unknown_graph_name_is_a_usage_error(mini_built):
    result = run(mini_built, "export", "--format", "nt", "--graph", "asserted-only")
    assert result.exit_code == 2


def test_export_of_a_graph_the_store_does_not_hold_fails_and_says_so(mini_built, tmp_path):
    out = tmp_path / "nope.nq"
    result = run(mini_built, "export", "--format", "nq", "--graph", "http://nope.example/", "-o", str(out))
    assert result.exit_code == 1 and "there is no graph <http://nope.example/> in the store" in result.stderr
    assert not out.exists()


def test_export_to_a_directory_that_does_not_exist_is_a_usage_error(mini_built, tmp_path):
    result = run(mini_built, "export", "--format", "nq", "-o", str(tmp_path / "no" / "such" / "x.nq"))
    assert result.exit_code == 2 and "cannot write" in result.stderr and "Traceback" not in result.output


def test_load_into_a_graph_that_is_not_an_iri_is_a_usage_error(mini_config, tmp_path):
    mine = tmp_path / "mine.nt"
    mine.write_text("<http://example.org/a> <http://example.org/b> 1 .\n", encoding="utf-8")
    result = run(mini_config, "load", str(mine), "--graph", "not an iri")
    assert result.exit_code == 2 and "not an absolute IRI" in result.stderr


def test_load_then_query_the_users_graph(mini_config, tmp_path):
    assert run(mini_config, "build").exit_code == 0
    mine = tmp_path / "mine.ttl"
    mine.write_text('<http://example.org/me> <http://www.w3.org/2000/01/rdf-schema#label> "我"@zh .\n', encoding="utf-8")
    result = run(mini_config, "load", str(mine))
    assert result.stdout == f"{GRAPH_USER}mine.ttl\t1 triples\n"
    answer = run(mini_config, "query", f"SELECT ?l {{ GRAPH <{GRAPH_USER}mine.ttl> {{ ?s ?p ?l }} }}", "--format", "csv")
    assert answer.stdout_bytes == "l\r\n我\r\n".encode("utf-8")


def test_load_of_n_quads_reports_the_graphs_its_quads_went_to(mini_config, tmp_path):
    data = tmp_path / "data.nq"
    data.write_text('<http://e/a> <http://e/p> "1" <http://e/g> .\n<http://e/a> <http://e/p> "2" .\n')
    result = run(mini_config, "load", str(data), "--progress")
    assert result.stdout == f"{GRAPH_USER}data.nq\t1 triples\nhttp://e/g\t1 triples\n"


def test_load_of_a_missing_file_is_a_usage_error(mini_config, tmp_path):
    result = run(mini_config, "load", str(tmp_path / "absent.ttl"))
    assert result.exit_code == 2


def test_stats_counts_graphs_classes_and_properties(mini_built):
    result = run(mini_built, "stats")
    assert result.exit_code == 0
    rows = {tuple(line.split()) for line in result.stdout.splitlines() if line.strip()}
    # Place: beijing (asserted), zhongguancun and haidian-park (inferred from their subclasses)
    assert ("<http://example.org/mini#Place>", "3") in rows
    assert ("<http://example.org/mini#partOf>", "3") in rows
    inferred = StoreDir(mini_built.store).open_read().query(
        f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH_INFERRED}> {{ ?s ?p ?o }} }}")
    assert (GRAPH_INFERRED, next(iter(inferred))["n"].value) in rows


ANALYST = """# title@zh: 某地的上级区域
# title@en: What an area is part of
# question@zh: 这个区域属于哪些更大的区域？
# question@en: Which larger areas is this area part of?
# param: area = <http://example.org/mini/haidian-park>
SELECT ?area ?whole WHERE { ?area <http://example.org/mini#partOf> ?whole } ORDER BY ?whole
"""


@pytest.mark.parametrize(
    "params, wholes",
    [
        ((), ["http://example.org/mini/beijing", "http://example.org/mini/zhongguancun"]),
        (("--param", "area=<http://example.org/mini/zhongguancun>"), ["http://example.org/mini/beijing"]),
    ],
    ids=["default-binding", "given-binding"],
)
def test_an_analyst_query_runs_with_its_parameters_bound(mini_built, tmp_path, params, wholes):
    path = tmp_path / "wholes.rq"
    path.write_text(ANALYST, encoding="utf-8")
    result = run(mini_built, "query", str(path), "--format", "csv", *params)
    assert result.exit_code == 0, result.output
    assert [line.split(",")[1] for line in result.stdout.splitlines()[1:]] == wholes


def test_an_unknown_parameter_is_a_usage_error(mini_built, tmp_path):
    path = tmp_path / "wholes.rq"
    path.write_text(ANALYST, encoding="utf-8")
    result = run(mini_built, "query", str(path), "--param", "place=zg:beijing")
    assert result.exit_code == 2 and "place" in result.stderr


def test_a_missing_query_file_is_a_usage_error(mini_built, tmp_path):
    result = run(mini_built, "query", str(tmp_path / "absent.rq"))
    assert result.exit_code == 2 and "absent.rq" in result.stderr


def ask_served(port: int, query: str, child: subprocess.Popen, seconds: float = 60) -> bool:
    """Wait for the real server to answer, then return its answer to an ASK query."""
    import time

    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read()
        try:
            response = requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": query},
                                    headers={"Accept": "application/sparql-results+json"}, timeout=10)
        except requests.ConnectionError:
            time.sleep(0.2)
            continue
        return response.json()["boolean"]
    raise AssertionError("the server did not answer in time")


def serving(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([ZGCKG, "serve", *args], env={**os.environ, **env}, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        raise AssertionError("zgckg serve did not stop on SIGTERM") from None


def test_serve_with_a_new_store_directory_and_create_serves_an_empty_store(mini_config):
    port = free_port()
    with serving(mini_env(mini_config), "--store", str(mini_config.store), "--create", "--port", str(port)) as child:
        try:
            assert ask_served(port, "ASK { ?s ?p ?o }", child) is False
        finally:
            stop(child)
    assert StoreDir(mini_config.store).exists()


def test_serve_without_a_store_flag_builds_the_default_store_first(mini_config):
    port = free_port()
    with serving(mini_env(mini_config), "--port", str(port)) as child:
        try:
            assert ask_served(port, "ASK { <http://example.org/mini/haidian-park> a <http://example.org/mini#Place> }",
                              child) is True
        finally:
            stop(child)
    assert child.returncode == 0


# --- `zgckg validate` on the project's own data, with the mistakes curators make ------------------------

REAL = Path(__file__).resolve().parents[1]
MISTAKES = [
    ("organisations.ttl", 'rdfs:label "百度"@zh , "Baidu"@en ;', 'rdfs:label "百度"@zh ;',
     "zg:baidu", "rdfs:label"),
    ("statistics.ttl", 'oa:exact "截至 2016 年底，海淀园拥有各类高新技术企业近万家" ;',
     'oa:exact "截至 2016 年底，海淀园拥有各类高新技术企业近千家" ;', "zg:ev/p03s03-f-high-tech-enterprises-2016", "oa:exact"),
    ("statistics.ttl", "    sdmx-measure:obsValue 7578 ;\n    sdmx-attribute:unitMeasure unit:NUM ;\n",
     "    sdmx-measure:obsValue 7578 ;\n", "zg:obs/national-high-tech-enterprises-2016", "sdmx-attribute:unitMeasure"),
]


@pytest.mark.parametrize("file, before, after, focus, path", MISTAKES,
                         ids=["missing-english-label", "quote-off-its-offsets", "observation-without-unit"])
def test_validate_names_file_and_node_of_each_mistake_in_the_real_data(tmp_path, file, before, after, focus, path):
    data = tmp_path / "turtle"
    shutil.copytree(REAL / "data" / "turtle", data)
    text = (data / file).read_text(encoding="utf-8")
    assert text.count(before) == 1
    (data / file).write_text(text.replace(before, after), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate"], env={"ZGCKG_DATA_DIR": str(data)})
    assert result.exit_code == 1
    found = [line for line in result.output.splitlines() if focus in line]
    assert found and all(file in line and path in line for line in found), result.output


# --- serve: SERVICE and LOAD timeouts --------------------------------------------------------------------


def test_serve_service_timeouts_come_from_flags_over_environment(monkeypatch):
    from zgckg.cli import make_config, serve

    params = serve.make_context("serve", ["--service-connect-timeout", "1.5", "--service-read-timeout", "0.25"]).params
    monkeypatch.setenv("ZGCKG_SERVICE_CONNECT_TIMEOUT", "9")
    monkeypatch.setenv("ZGCKG_SERVICE_READ_TIMEOUT", "7")
    flagged = make_config(service_connect_timeout=params["service_connect_timeout"],
                          service_read_timeout=params["service_read_timeout"])
    assert (flagged.service_connect_timeout, flagged.service_read_timeout) == (1.5, 0.25)
    unflagged = make_config(service_connect_timeout=None, service_read_timeout=None)
    assert (unflagged.service_connect_timeout, unflagged.service_read_timeout) == (9.0, 7.0)


@pytest.mark.parametrize("flag", ["--service-connect-timeout", "--service-read-timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_serve_refuses_a_service_timeout_that_is_not_a_positive_number(flag, value):
    result = CliRunner().invoke(main, ["serve", flag, value])
    assert result.exit_code == 2 and flag in result.output


def test_serve_reader_memory_flag_sets_the_copy_limit_and_refuses_a_negative_size(monkeypatch):
    from zgckg.cli import make_config, serve

    monkeypatch.setenv("ZGCKG_READER_MEMORY_BYTES", "5")
    params = serve.make_context("serve", ["--reader-memory", "0"]).params
    assert make_config(reader_memory_bytes=params["reader_memory_bytes"]).reader_memory_bytes == 0
    assert make_config(reader_memory_bytes=None).reader_memory_bytes == 5
    result = CliRunner().invoke(main, ["serve", "--reader-memory", "-1"])
    assert result.exit_code == 2 and "--reader-memory" in result.output


def test_the_service_network_cannot_be_set_from_the_environment(monkeypatch):
    from zgckg.cli import make_config
    monkeypatch.setenv("ZGCKG_SERVICE_NETWORK", "127.0.0.1")
    assert not hasattr(make_config(), "service_network")  # it is given to an engine by code, nowhere else



def imported_modules(source: str) -> list[str]:
    """Every module an ``import`` or ``from … import`` in ``source`` names, at any depth (a command's own
    imports too), with each name imported from it as a possible submodule; relative names keep their dots."""
    import ast

    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return names


def forbidden(name: str) -> bool:
    parts = [part for part in name.split(".") if part]
    return parts[:1] == ["pyoxigraph"] or "executor" in parts


def test_the_import_scan_sees_what_it_must_refuse():
    source = "import pyoxigraph as ox\ndef f():\n    from .kg.executor.jobs import QueryJob\n    from .kg import executor\n"
    assert [n for n in imported_modules(source) if forbidden(n)] == [
        "pyoxigraph", ".kg.executor.jobs", ".kg.executor.jobs.QueryJob", ".kg.executor"]


def test_the_command_line_holds_only_an_engine_not_pyoxigraph_or_the_executor():
    import zgckg.cli

    names = imported_modules(Path(zgckg.cli.__file__).read_text(encoding="utf-8"))
    assert ".kg.engine.inprocess" in names  # the scan reads the commands' own imports
    assert [n for n in names if forbidden(n)] == []
