"""A request made ready for the engine: every SERVICE and LOAD target checked, SERVICE answered and LOAD
fetched by this server, refusals and remote failures reported without the remote's words."""

import http.server
import socket
import subprocess
import sys
import threading

import pyoxigraph as ox
from pathlib import Path

import pytest

from conftest import SparqlEndpoint, remote_network
from zgckg.errors import ForbiddenOperation, QuerySyntaxError, QueryTooComplex
from zgckg.kg import outbound
from zgckg.errors import QueryFailed, UpdateFailed
from zgckg.kg.federation import Outbound
from zgckg.kg.prepared import PreparedQuery, PreparedUpdate, UpdateStep, prepare_query, prepare_update
from zgckg.kg.sparql import SyntaxLimits, parse_query, parse_update, scan
from zgckg.kg.sparql.parser import _glance, _scan_tokens

EX = "http://example.org/"
REMOTE = "http://remote.example/sparql"
REMOTE_DATA = f"""
<{EX}park> <{EX}name> "Example park"@en .
<{EX}lab> <{EX}age> 3 .
"""
TRIPLES = b"<http://a.example/> <http://b.example/> <http://c.example/> .\n" * 50


@pytest.fixture(scope="module")
def endpoint():
    served = SparqlEndpoint(REMOTE_DATA)
    yield served
    served.close()


class _Documents(http.server.BaseHTTPRequestHandler):
    """Serves /doc as N-Triples; anything else is a 404 whose body must never be repeated."""

    requests: list[str] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        if self.path != "/doc":
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"SECRET detail of the remote")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.send_header("Content-Length", str(len(TRIPLES)))
        self.end_headers()
        self.wfile.write(TRIPLES)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def documents():
    """A document server on loopback; its port, with the paths it was asked for in ``_Documents.requests``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fresh_remotes(endpoint):
    endpoint.requests.clear()
    endpoint.reply = None
    _Documents.requests.clear()


@pytest.fixture
def listener():
    """A loopback listener; the test fails if anything connects to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.05)
    yield sock.getsockname()[1]
    try:
        sock.accept()[0].close()
        contacted = True
    except TimeoutError:
        contacted = False
    sock.close()
    assert not contacted, "something connected to the listener"


def policy(endpoint=None, documents=None, allow=(), **values) -> Outbound:
    """remote.example stands for the SPARQL endpoint, data.example for the document server."""
    stand_ins = ([("remote.example", endpoint.port)] if endpoint else []) + (
        [("data.example", documents)] if documents else [])
    names = tuple(name for name, _ in stand_ins)
    return Outbound(allowlist=names + tuple(allow), limits=outbound.Limits(connect_timeout=2.0, read_timeout=5.0),
                    network=remote_network(*stand_ins), **values)


# --- queries -------------------------------------------------------------------------------------------


def test_a_query_without_service_is_returned_unchanged():
    text = "SELECT * WHERE { ?s ?p ?o }"
    prepared = prepare_query(text)
    assert prepared == PreparedQuery(text, False, False, "SELECT")
    assert prepared.text is text


@pytest.mark.parametrize(
    "text, dataset",
    [("ASK FROM <http://g.example/> { ?s ?p ?o }", True),
     ("CONSTRUCT WHERE { ?s ?p ?o }", False),
     ("DESCRIBE <http://x.example/> FROM NAMED <http://g.example/>", True),
     ("SELECT * WHERE { ?s <http://x.example/from> ?o }", False),
     ("SELECT * WHERE { ?s ?p ?o } # FROM <http://g.example/>", False)],
    ids=["ask-from", "construct", "describe-from-named", "from-in-an-iri", "from-in-a-comment"],
)
def test_a_prepared_query_says_whether_it_names_its_dataset(text, dataset):
    assert prepare_query(text) == PreparedQuery(text, dataset, False, text.split()[0])


@pytest.mark.parametrize(
    "text",
    ["SELECT * WHERE { ?s ?p ?o }", "SELECT * WHERE { ?s ?p ?o FILTER(?o != 'SERVICE') }",
     "SELECT * WHERE { ?s <http://x.example/service> ?o }"],
    ids=["plain", "word-in-a-string", "word-in-an-iri"],
)
def test_a_query_whose_tokens_name_no_service_or_from_needs_no_reading(text):
    assert scan(text).acts_on_nothing


@pytest.mark.parametrize(
    "text",
    ["SELECT * WHERE { SERVICE <http://x.example/> {} }", "SELECT * WHERE { ?s ?p trueSERVICE <http://x.example/> {} }",
     "PREFIX c: <http://x.example/> SELECT * WHERE { SERVICEc:s {} }", "SELECT * FROM <http://g.example/> {}",
     "SELECT * WHERE { \\u0053ERVICE <http://x.example/> {} }"],
    ids=["service", "glued-service", "service-glued-to-a-name", "from", "escaped-keyword"],
)
def test_a_query_that_may_name_a_service_or_from_is_read_by_the_grammar(text):
    assert not scan(text).acts_on_nothing


ROOT = Path(__file__).resolve().parents[1]
GLANCED = [
    "SELECT * WHERE { ?s ?p ?o }",
    "# FROM the report: SERVICE is a word in a comment\nPREFIX x: <http://x.example/from#>\nASK { ?s x:p ?o }",
    "prefix ex:<http://x.example/> base <http://b.example/> describe ex:a",
    "PREFIXex: <http://x.example/> SELECT * {}",  # one prefixed name, not a declaration
    "PREFIX : <http://x.example/> SELECT.x:y",
    "ASK: { }", "SELECTED { }", "SELECT * WHERE { ?s ?p 'a\\u0041' }",
    "ASK { FILTER((((1)))) }", "ASK { ?a ?b ?c . ?d ?e ?f }",
]


@pytest.mark.parametrize("text", GLANCED + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))])
@pytest.mark.parametrize("limits", [SyntaxLimits(), SyntaxLimits(max_depth=3, max_triple_patterns=5)], ids=["default", "small"])
def test_a_glance_says_what_the_tokens_say_or_nothing(text, limits):
    glanced = _glance(text, limits)
    try:
        tokens = _scan_tokens(text, limits)
    except QueryTooComplex:
        assert glanced is None
    else:
        assert glanced is None or glanced == tokens


def test_a_text_the_tokens_cannot_cut_but_that_names_no_service_is_the_engines_to_judge():
    import pyoxigraph as ox

    text = "SELECT * WHERE { ?s ?p ?o \u0000 }"
    assert scan(text) == _glance(text, SyntaxLimits()) and scan(text).acts_on_nothing
    with pytest.raises(SyntaxError):
        ox.Store().query(text)


def test_a_typical_query_is_glanced_at_not_cut_into_tokens():
    queries = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))]
    assert sum(_glance(text, SyntaxLimits()) is not None for text in queries) >= len(queries) * 3 // 4


@pytest.mark.parametrize(
    "text, form, kind",
    [("PREFIX s: <http://x.example/select#> SELECT * { ?s ?p ?o }", "SELECT", "solutions"),
     ("ASK { { SELECT ?s { ?s ?p ?o } } }", "ASK", "boolean"),
     ("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * { ?s ?p ?o } } }", "CONSTRUCT", "graph"),
     ("DESCRIBE <http://x.example/ask>", "DESCRIBE", "graph"),
     ("SELECT * FROM <http://g.example/> { ?select ?p 'ASK' }", "SELECT", "solutions")],
    ids=["prefix-named-select", "ask-with-subquery", "construct-with-subquery", "describe", "read-by-the-grammar"],
)
def test_the_query_form_is_known_before_it_runs(text, form, kind):
    prepared = prepare_query(text)
    assert (prepared.form, prepared.kind) == (form, kind)


def test_the_scan_holds_the_depth_and_pattern_limits():
    with pytest.raises(QueryTooComplex, match="limit of 3"):
        scan("ASK { FILTER((((1)))) }", SyntaxLimits(max_depth=3))
    assert not scan("ASK { ?a ?b ?c . ?d ?e ?f }", SyntaxLimits(max_triple_patterns=5)).acts_on_nothing


def test_syntax_errors_and_limits_come_from_the_parser():
    with pytest.raises(QuerySyntaxError, match="^error at 1:"):
        prepare_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p } }")
    with pytest.raises(QueryTooComplex):
        prepare_query("SELECT * { ?s ?p 1, 2 }", limits=SyntaxLimits(max_triple_patterns=1))


def test_predeclared_prefixes_are_read():
    prepared = prepare_query("SELECT * { ?s zg:p ?o }", Outbound(prefixes=(("zg", "http://zg.example/"),)))
    assert prepared.remote is False


def test_a_refused_service_without_silent_refuses_the_query(listener):
    with pytest.raises(ForbiddenOperation, match="not on the allow-list") as refused:
        prepare_query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener}/> {{ ?s ?p ?o }} }}")
    assert outbound.HOW_TO_ALLOW in str(refused.value)


def test_an_allow_listed_loopback_service_is_still_refused(listener):
    with pytest.raises(ForbiddenOperation, match="non-public address"):
        prepare_query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener}/> {{ ?s ?p ?o }} }}",
                      Outbound(allowlist=("127.0.0.1",)))


def test_a_refused_silent_outermost_service_is_one_empty_solution_without_a_connection(listener):
    text = f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{listener}/> {{ ?s ?p ?o }} }}"
    prepared = prepare_query(text, Outbound(allowlist=("127.0.0.1",)))
    assert prepared == PreparedQuery("SELECT * WHERE { {} }", False, True, "SELECT")
    assert len(list(ox.Store().query(prepared.text))) == 1


def test_a_request_with_any_refused_target_is_refused_before_any_is_asked(endpoint):
    text = f"SELECT * {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} SERVICE <http://other.example/> {{ ?s ?p ?o }} }}"
    with pytest.raises(ForbiddenOperation, match="other.example"):
        prepare_query(text, policy(endpoint))
    assert endpoint.requests == []


@pytest.mark.parametrize("silent", ["", "SILENT "], ids=["plain", "silent"])
def test_a_nested_refused_target_refuses_the_request(endpoint, silent):
    text = (f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ SERVICE {silent}<http://further.example/sparql> "
            "{ ?s ?p ?o } } }")
    with pytest.raises(ForbiddenOperation, match="further.example"):
        prepare_query(text, policy(endpoint))
    assert endpoint.requests == []


def test_a_nested_refused_target_refuses_even_inside_a_silent_service(endpoint):
    text = f"SELECT * WHERE {{ SERVICE SILENT <{REMOTE}> {{ SERVICE <http://127.0.0.1:9/> {{ ?s ?p ?o }} }} }}"
    with pytest.raises(ForbiddenOperation, match="127.0.0.1"):
        prepare_query(text, policy(endpoint))
    assert endpoint.requests == []


def test_a_variable_target_is_refused():
    text = "SELECT * WHERE { VALUES ?e { <http://127.0.0.1:9/> } SERVICE ?e { ?s ?p ?o } }"
    with pytest.raises(ForbiddenOperation, match="not a fixed IRI"):
        prepare_query(text, Outbound(allowlist=("127.0.0.1",)))
    silent = prepare_query("SELECT * WHERE { SERVICE SILENT ?e { ?s ?p ?o } }")
    assert silent.text == "SELECT * WHERE { {} }"


def test_an_allowed_service_is_answered_here_and_leaves_no_service_for_the_engine(endpoint):
    text = f"SELECT ?n WHERE {{ SERVICE <{REMOTE}> {{ <{EX}park> <{EX}name> ?n }} }}"
    prepared = prepare_query(text, policy(endpoint))
    assert prepared.remote and not prepared.has_dataset_clause
    assert "SERVICE" not in prepared.text and parse_query(prepared.text).services == ()
    assert [row["n"] for row in ox.Store().query(prepared.text)] == [ox.Literal("Example park", language="en")]
    (sent,) = endpoint.requests
    assert sent["form"]["query"] == f"SELECT * WHERE {{ <{EX}park> <{EX}name> ?n }}"


def test_a_predeclared_prefix_is_read_in_the_target_and_sent_to_the_remote(endpoint):
    out = policy(endpoint, prefixes=(("r", "http://remote.example/"), ("ex", EX)))
    prepared = prepare_query("SELECT ?n WHERE { SERVICE r:sparql { ex:park ex:name ?n } }", out)
    assert prepared.remote and "VALUES" in prepared.text
    query = endpoint.requests[0]["form"]["query"]
    assert f"PREFIX ex: <{EX}>" in query and query.endswith("SELECT * WHERE { ex:park ex:name ?n }")


def test_an_answer_longer_than_the_length_cap_is_not_the_clients_fault(endpoint):
    text = f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}"
    prepared = prepare_query(text, policy(endpoint), SyntaxLimits(max_length=len(text)))
    assert len(prepared.text) > len(text) and len(list(ox.Store().query(prepared.text))) == 2


@pytest.mark.parametrize(
    "reply, problem",
    [((500, {"Content-Type": "text/plain"}, b"SECRET internal detail"), "answered HTTP 500"),
     ((200, {"Content-Type": "text/html"}, b"<html>SECRET</html>"), "not SPARQL results"),
     ((200, {"Content-Type": "application/sparql-results+json"}, b'{"head": SECRET'), "could not be read")],
    ids=["server-error", "not-results", "broken-json"],
)
def test_a_failing_service_is_a_query_failure_naming_the_service_without_the_remote_body(endpoint, reply, problem):
    endpoint.reply = reply
    with pytest.raises(QueryFailed) as failed:
        prepare_query(f"SELECT * WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint))
    assert f"SERVICE <{REMOTE}> failed: " in str(failed.value) and problem in str(failed.value)
    assert str(failed.value).startswith("the query could not be evaluated: ")
    assert "SECRET" not in str(failed.value)


def test_a_failing_silent_service_is_one_empty_solution(endpoint):
    endpoint.reply = (500, {"Content-Type": "text/plain"}, b"SECRET")
    prepared = prepare_query(f"SELECT * WHERE {{ SERVICE SILENT <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint))
    assert prepared.text == "SELECT * WHERE { {} }" and prepared.remote


# --- updates -------------------------------------------------------------------------------------------


def test_an_update_without_load_or_service_has_no_steps():
    text = "PREFIX e: <http://e.example/> INSERT DATA { e:a e:b e:c } ; CLEAR SILENT GRAPH e:g"
    assert prepare_update(text) == PreparedUpdate(text, (), ("http://e.example/g",))


def test_a_load_of_a_loopback_target_is_refused():
    with pytest.raises(ForbiddenOperation, match="non-public address"):
        prepare_update("LOAD <http://127.0.0.1:9/data.ttl>", Outbound(allowlist=("127.0.0.1",)))


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/x", "http://localhost:{port}/x", "file:///etc/passwd"],
                         ids=["loopback", "localhost", "file"])
def test_a_refused_load_never_connects(listener, target):
    with pytest.raises(ForbiddenOperation):
        prepare_update(f"LOAD <{target.format(port=listener)}>", Outbound(allowlist=("127.0.0.1", "localhost")))


def test_a_refused_silent_load_is_a_step_with_neither_text_nor_load(listener):
    prepared = prepare_update(f"LOAD SILENT <http://127.0.0.1:{listener}/x> INTO GRAPH <http://g.example/>",
                              Outbound(allowlist=("127.0.0.1",)))
    (step,) = prepared.steps
    assert (step.text, step.load) == (None, None) and step.silent


def test_an_update_that_loads_is_split_into_steps_carrying_the_earlier_declarations(listener):
    text = (f"BASE <http://b.example/> PREFIX e: <http://e.example/> INSERT DATA {{ e:a e:b <c> }} ;\n"
            f"LOAD SILENT <http://127.0.0.1:{listener}/x> ;\n"
            "PREFIX f: <http://f.example/> DELETE WHERE { ?s e:p ?o ; f:q ?x }")
    prepared = prepare_update(text)
    assert prepared.text == text
    first, load, last = prepared.steps
    assert first == UpdateStep("BASE <http://b.example/>\nPREFIX e: <http://e.example/>\nINSERT DATA { e:a e:b <c> }")
    assert (load.text, load.load, load.silent) == (None, None, True)
    assert last.text == ("BASE <http://b.example/>\nPREFIX e: <http://e.example/>\nPREFIX f: <http://f.example/>\n"
                         "DELETE WHERE { ?s e:p ?o ; f:q ?x }")
    for step in (first, last):  # each step's text is an update on its own
        assert len(parse_update(step.text).operations) == 1


def test_an_allowed_load_is_fetched_into_its_step(documents):
    url = f"http://data.example:{documents}/doc"
    prepared = prepare_update(f"PREFIX g: <http://g.example/> LOAD <{url}> INTO GRAPH g:one",
                              policy(documents=documents))
    (step,) = prepared.steps
    assert step.text is None and step.graph == "http://g.example/one" and not step.silent
    assert (step.load.url, step.load.content_type, step.load.body) == (url, "application/n-triples", TRIPLES)
    assert _Documents.requests == ["/doc"]


def test_an_allowed_silent_load_keeps_its_data_and_its_default_graph(documents):
    prepared = prepare_update(f"LOAD SILENT <http://data.example:{documents}/doc>", policy(documents=documents))
    (step,) = prepared.steps
    assert step.load.body == TRIPLES and step.graph is None and step.silent


def test_a_load_relative_to_the_policys_base_is_resolved(documents):
    prepared = prepare_update("LOAD <doc>", policy(documents=documents, base_iri=f"http://data.example:{documents}/"))
    assert prepared.steps[0].load.body == TRIPLES


def test_a_failing_load_is_an_update_failure_naming_the_source_without_the_remote_body(documents):
    url = f"http://data.example:{documents}/missing"
    with pytest.raises(UpdateFailed) as failed:
        prepare_update(f"LOAD <{url}>", policy(documents=documents))
    assert f"LOAD <{url}> failed: the server answered HTTP 404" in str(failed.value)
    assert str(failed.value).startswith("the update could not be applied, nothing was changed: ")
    assert "SECRET" not in str(failed.value)


def test_a_failing_silent_load_is_a_step_with_nothing_to_load(documents):
    prepared = prepare_update(f"LOAD SILENT <http://data.example:{documents}/missing>", policy(documents=documents))
    assert prepared.steps == (UpdateStep(silent=True),)


def test_a_load_over_the_size_cap_fails_even_with_silent(documents):
    # SILENT hides a remote's failure, not this server's own limit
    out = policy(documents=documents)
    out = Outbound(out.allowlist, outbound.Limits(max_bytes=100), network=out.network)
    with pytest.raises(UpdateFailed, match="larger than 100 bytes"):
        prepare_update(f"LOAD <http://data.example:{documents}/doc>", out)


def test_a_service_in_an_update_is_answered_here(endpoint):
    text = f"INSERT {{ ?s <{EX}seen> true }} WHERE {{ SERVICE <{REMOTE}> {{ ?s <{EX}age> ?a }} }}"
    prepared = prepare_update(text, policy(endpoint))
    assert prepared.steps == () and "SERVICE" not in prepared.text
    assert parse_update(prepared.text).services == ()
    store = ox.Store()
    store.update(prepared.text)
    assert [str(q.subject) for q in store] == [f"<{EX}lab>"]


def test_a_failing_service_in_an_update_is_an_update_failure_without_the_remote_body(endpoint):
    endpoint.reply = (500, {"Content-Type": "text/plain"}, b"SECRET internal detail")
    with pytest.raises(UpdateFailed) as failed:
        prepare_update(f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", policy(endpoint))
    assert f"SERVICE <{REMOTE}> failed: the server answered HTTP 500" in str(failed.value)
    assert "SECRET" not in str(failed.value)


def test_an_update_that_loads_and_asks_a_service_gets_the_answer_in_its_step(endpoint, documents):
    text = (f"LOAD <http://data.example:{documents}/doc> ;\n"
            f"INSERT {{ ?s <{EX}seen> true }} WHERE {{ SERVICE <{REMOTE}> {{ ?s <{EX}age> ?a }} }}")
    load, insert = prepare_update(text, policy(endpoint, documents)).steps
    assert load.load.body == TRIPLES
    assert "VALUES" in insert.text and "SERVICE" not in insert.text


@pytest.mark.parametrize(
    "first",
    ["LOAD <http://data.example:{port}/doc>",
     "INSERT { ?s ?p ?o } WHERE { SERVICE <" + REMOTE + "> { ?s ?p ?o } }"],
    ids=["load", "service"],
)
def test_a_refused_load_refuses_the_update_before_anything_is_fetched(endpoint, documents, first):
    text = first.replace("{port}", str(documents)) + " ; LOAD <http://127.0.0.1:9/x>"
    with pytest.raises(ForbiddenOperation, match="127.0.0.1"):
        prepare_update(text, policy(endpoint, documents, allow=("127.0.0.1",)))
    assert _Documents.requests == [] and endpoint.requests == []


@pytest.mark.parametrize(
    "text",
    ["SELECT * WHERE { SERVICE <http://[::1/x> { } }", "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1]:80/x> { } }",
     "LOAD <http://[::1/x>", "LOAD SILENT <http://127.0.0.1]:80/x>",
     "INSERT { ?s ?p ?o } WHERE { SERVICE <http://[::1/x> { ?s ?p ?o } }"],
    ids=["service", "silent-service", "load", "silent-load", "service-in-an-update"],
)
def test_a_target_whose_authority_cannot_be_read_is_a_client_error(text):
    prepare = prepare_query if text.startswith("SELECT") else prepare_update
    try:
        prepared = prepare(text, Outbound(allowlist=("::1", "127.0.0.1")))
    except (QuerySyntaxError, ForbiddenOperation):
        return
    # only a SILENT one may instead stand for nothing, as a refused target does
    assert "SILENT" in text
    if text.startswith("SELECT"):
        assert prepared.text == "SELECT * WHERE { {} }"
    else:
        assert prepared.steps == (UpdateStep(silent=True),)


@pytest.mark.parametrize("module", ["zgckg.kg.prepared", "zgckg.kg.executor", "zgckg.kg.results", "zgckg.kg.federation"])
def test_each_module_imports_on_its_own(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1]
