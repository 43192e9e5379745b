"""The SPARQL reader that runs before the engine: every SERVICE and LOAD it must see, nothing it must not,
where each SERVICE group is, the dataset clause, update operations, syntax errors and the size limits."""

import time
from pathlib import Path

import pytest

from zgckg.errors import QuerySyntaxError, QueryTooComplex
from zgckg.kg.sparql import Load, SyntaxLimits, parse_query, parse_update, tokens
from zgckg.kg.sparql import parser as parser_module
from zgckg.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parents[1]


def services(reading):
    """(target, SILENT) of every SERVICE, in text order."""
    return [(s.iri, s.silent) for s in sorted(reading.services, key=lambda s: s.start)]


# --- SERVICE wherever the grammar allows it ------------------------------------------------------


@pytest.mark.parametrize(
    "text, found",
    [
        ("SELECT * WHERE { SERVICE <http://a.example/sparql> { ?s ?p ?o } }", [("http://a.example/sparql", False)]),
        ("select * { service silent <http://a.example/> {} }", [("http://a.example/", True)]),
        ("SELECT * { { SELECT * { SERVICE <http://sub.example/> {} } } }", [("http://sub.example/", False)]),
        ("SELECT * { ?s ?p ?o FILTER EXISTS { SERVICE <http://f.example/> {} } }", [("http://f.example/", False)]),
        ("SELECT * { ?s ?p ?o FILTER NOT EXISTS { SERVICE <http://nf.example/> {} } }", [("http://nf.example/", False)]),
        ("SELECT * { ?s ?p ?o OPTIONAL { SERVICE <http://o.example/> {} } }", [("http://o.example/", False)]),
        ("SELECT * { { ?s ?p ?o } UNION { SERVICE <http://u.example/> {} } }", [("http://u.example/", False)]),
        ("SELECT * { ?s ?p ?o MINUS { SERVICE <http://m.example/> { ?s ?p ?o } } }", [("http://m.example/", False)]),
        ("SELECT * { GRAPH ?g { SERVICE <http://g.example/> {} } }", [("http://g.example/", False)]),
        ("ASK { SERVICE <http://ask.example/> {} }", [("http://ask.example/", False)]),
        ("CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://c.example/> { ?s ?p ?o } }", [("http://c.example/", False)]),
        ("PREFIX e: <http://e.example/> SELECT * { SERVICE e:sparql {} }", [("http://e.example/sparql", False)]),
        ("BASE <http://b.example/dir/> SELECT * { SERVICE <../up> {} }", [("http://b.example/up", False)]),
        ("SELECT * { SERVICE ?endpoint {} }", [(None, False)]),
        ("SELECT * { SERVICE SILENT $endpoint {} }", [(None, True)]),
        ("SELECT * { SERVICE<http://tight.example/>{} }", [("http://tight.example/", False)]),
        ("SELECT * { ?s ?p ?o .SERVICE <http://glued.example/> {} }", [("http://glued.example/", False)]),
        ("SELECT * { # a comment line\nSERVICE <http://next-line.example/> {} }", [("http://next-line.example/", False)]),
        ("SELECT * { ?s ?p ?o FILTER(?o<3)SERVICE <http://after-lt.example/> {} }", [("http://after-lt.example/", False)]),
        ("SELECT * WHERE { ?s ?p 1SERVICE <http://h/a> { ?a ?b ?c } }", [("http://h/a", False)]),
        ("SELECT * WHERE { ?s ?p ?o FILTER(?s != <http://x/\\u0041#>) SERVICE <http://h/b> { ?a ?b ?c } }",
         [("http://h/b", False)]),
        ("#x\rSELECT * WHERE { SERVICE <http://h/c> { ?a ?b ?c } }", [("http://h/c", False)]),
        ("SELECT * WHERE { ?s ?p ?o } #x\rSERVICE <http://h/d> { ?a ?b ?c }", None),
        ("SELECT * { SERVICE <http://one.example/> {} SERVICE SILENT <http://two.example/> {} }",
         [("http://one.example/", False), ("http://two.example/", True)]),
    ],
    ids=["plain", "silent-lowercase", "subquery", "filter-exists", "filter-not-exists", "optional", "union",
         "minus", "graph", "ask", "construct", "prefixed", "relative-to-base", "variable", "silent-dollar-variable",
         "no-spaces", "glued-to-a-dot", "after-a-comment-line", "after-less-than", "glued-to-a-number",
         "after-an-iri-with-escape-and-hash", "after-a-comment-ended-by-cr", "outside-the-query-after-cr", "two"],
)
def test_every_service_is_found(text, found):
    if found is None:  # the CR ends the comment: what follows is text the engine reads, outside the query
        with pytest.raises(QuerySyntaxError):
            parse_query(text)
        return
    assert services(parse_query(text)) == found


@pytest.mark.parametrize(
    "keyword", ["SERVICE", "service", "Service", "sErViCe", "SERVICE SILENT", "service silent", "Service Silent",
                "SeRvIcE sIlEnT"],
)
def test_keywords_are_read_in_any_case(keyword):
    found = services(parse_query(f"SeLeCt * WhErE {{ {keyword} <http://case.example/> {{ ?s ?p ?o }} }}"))
    assert found == [("http://case.example/", "SILENT" in keyword.upper())]


def test_a_predeclared_prefix_resolves_a_service_target():
    reading = parse_query("SELECT * { SERVICE e:sparql {} }", prefixes={"e": "http://e.example/"})
    assert services(reading) == [("http://e.example/sparql", False)]
    assert reading.declarations == ()  # predeclared, not declared in the text


def test_a_declared_prefix_overrides_a_predeclared_one():
    reading = parse_query("PREFIX e: <http://mine.example/> SELECT * { SERVICE e:sparql {} }",
                          prefixes={"e": "http://e.example/"})
    assert services(reading) == [("http://mine.example/sparql", False)]


def test_an_undeclared_prefix_as_target_is_a_syntax_error():
    with pytest.raises(QuerySyntaxError, match="the prefix undeclared: is not declared") as error:
        parse_query("SELECT * { SERVICE undeclared:x {} }")
    assert (error.value.line, error.value.column) == (1, 20)


@pytest.mark.parametrize("iri", ["http://[::1/x", "http://127.0.0.1]:80/x"], ids=["unclosed-ipv6", "stray-bracket"])
def test_an_iri_whose_authority_cannot_be_read_is_a_syntax_error_under_a_base(iri):
    with pytest.raises(QuerySyntaxError):
        parse_query(f"BASE <http://a.example/> SELECT * WHERE {{ ?s ?p <{iri}> }}")


def test_a_base_given_by_the_caller_resolves_a_relative_target():
    reading = parse_query("SELECT * { SERVICE <sparql> {} }", base_iri="http://base.example/dir/")
    assert services(reading) == [("http://base.example/dir/sparql", False)]


def test_nested_services_are_marked_inner():
    text = ("SELECT * { SERVICE <http://outer.example/> { SERVICE <http://middle.example/> { SERVICE ?x {} } } "
            "SERVICE <http://beside.example/> {} }")
    found = {s.iri: s.inner for s in parse_query(text).services}
    assert found == {"http://outer.example/": False, "http://middle.example/": True, None: True,
                     "http://beside.example/": False}


def test_a_service_inside_an_update_is_found():
    reading = parse_update("INSERT { ?s ?p ?o } WHERE { SERVICE SILENT <http://u.example/> { ?s ?p ?o } }")
    assert services(reading) == [("http://u.example/", True)]


# --- the words where they are not keywords --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "SERVICE <http://x.example/> {}" }',
        "SELECT * { ?s ?p '''LOAD <http://x.example/>''' }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://x.example/> {}",
        "SELECT ?service ?load { ?service <http://x.example/SERVICE> ?load }",
        "PREFIX service: <http://x.example/> SELECT * { ?s service:load ?o }",
        "# Which services load data from where?\nSELECT * { ?s ?p ?o }",
        'SELECT * { ?s ?p """\n# SERVICE <http://x.example/> {}\n""" }',
        "PREFIX ex: <http://ex.example/> SELECT * { ?s <http://x.example/ServiceHall> ?from ; ex:a.SERVICE ?o }",
        "SELECT * { ?s ?p 'a \\' SERVICE <http://x.example/> {} \\'' }",
        "SELECT * { ?s ?p \"\"\"a \"\" SERVICE <http://x.example/> {} \"\"\" }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://x.example/> {}\n",
    ],
    ids=["in-string", "in-long-string", "in-comment", "as-variable-and-iri", "as-prefix", "comment-lines",
         "comment-like-line-in-a-string", "inside-names", "after-an-escaped-quote", "after-two-quotes-in-a-long-string",
         "in-a-last-comment-line"],
)
def test_the_words_outside_keyword_position_are_not_services(text):
    reading = parse_query(text)
    assert reading.services == () and reading.loads == ()


@pytest.mark.parametrize(
    "text",
    [
        'INSERT DATA { <http://a.example/> <http://b.example/> "LOAD <http://x.example/>" }',
        "PREFIX load: <http://x.example/> INSERT DATA { load:a load:service load:from }",
        "# LOAD <http://x.example/>\nCLEAR SILENT GRAPH <http://g.example/>",
        "DELETE WHERE { ?load <http://x.example/LOAD> ?service }",
    ],
    ids=["load-in-a-string", "as-prefix", "in-a-comment", "as-variable-and-iri"],
)
def test_the_words_outside_keyword_position_are_not_loads_in_an_update(text):
    reading = parse_update(text)
    assert reading.loads == () and reading.services == ()
    assert [op.load for op in reading.operations] == [None]


# --- the dataset clause and the form ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SELECT * { ?s ?p ?o }", False),
        ("SELECT * FROM <http://g.example/> { ?s ?p ?o }", True),
        ("SELECT * FROM NAMED <http://g.example/> { GRAPH ?g { ?s ?p ?o } }", True),
        ("select * from <http://g.example/> where { ?s ?p ?o }", True),
        ("ASK FROM <http://g.example/> { ?s ?p ?o }", True),
        ("CONSTRUCT { ?s ?p ?o } FROM <http://g.example/> WHERE { ?s ?p ?o }", True),
        ("DESCRIBE <http://x.example/> FROM NAMED <http://g.example/>", True),
        ('SELECT * { ?s ?p "from here" }', False),
        ("SELECT ?from { ?from ?p ?o } # FROM <http://g.example/>", False),
        ("PREFIX from: <http://f.example/> SELECT * { ?s from:named ?o }", False),
    ],
    ids=["none", "from", "from-named", "lowercase", "ask", "construct", "describe", "word-in-string",
         "variable-and-comment", "prefix"],
)
def test_the_dataset_clause_is_seen(text, expected):
    assert parse_query(text).has_dataset_clause is expected


@pytest.mark.parametrize(
    "text, form",
    [("SELECT * { }", "SELECT"), ("ask { }", "ASK"), ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
     ("DESCRIBE <http://x.example/>", "DESCRIBE"), ("PREFIX a: <http://a/> BASE <http://b/> SELECT * { }", "SELECT")],
)
def test_the_query_form_is_read(text, form):
    assert parse_query(text).form == form


# --- updates: operations, declarations, LOAD ------------------------------------------------------


def test_update_operations_keep_earlier_prefixes_and_loads_are_parsed():
    text = ('PREFIX e: <http://e.example/> INSERT DATA { e:a e:b "x;y" } ;\n'
            "LOAD SILENT e:doc INTO GRAPH <http://g.example/> ;\n"
            "DELETE WHERE { ?s e:p ?o ; e:q ?x }")
    reading = parse_update(text)
    ops = reading.operations
    assert [op.load for op in ops] == [None, Load("http://e.example/doc", True, "http://g.example/"), None]
    assert reading.loads == (Load("http://e.example/doc", True, "http://g.example/"),)
    assert [text[op.start : op.end] for op in ops] == [
        'INSERT DATA { e:a e:b "x;y" }', "LOAD SILENT e:doc INTO GRAPH <http://g.example/>",
        "DELETE WHERE { ?s e:p ?o ; e:q ?x }"]
    (prefix,) = reading.declarations_before(ops[2].start)
    assert (prefix.keyword, prefix.name, prefix.iri) == ("PREFIX", "e", "http://e.example/")
    assert text[prefix.start : prefix.end] == "PREFIX e: <http://e.example/>"


def test_a_declaration_between_operations_is_in_force_only_after_it():
    text = "BASE <http://b.example/d/> LOAD <doc.ttl> INTO GRAPH <g> ; PREFIX e: <http://e.example/> LOAD SILENT e:x"
    reading = parse_update(text)
    first, second = reading.operations
    assert [d.keyword for d in reading.declarations_before(first.start)] == ["BASE"]
    assert [d.keyword for d in reading.declarations_before(second.start)] == ["BASE", "PREFIX"]
    assert reading.loads == (Load("http://b.example/d/doc.ttl", False, "http://b.example/d/g"),
                             Load("http://e.example/x", True, None))


@pytest.mark.parametrize(
    "text, load",
    [
        ("LOAD <http://d.example/x.ttl>", Load("http://d.example/x.ttl", False, None)),
        ("load silent <http://d.example/x.ttl>", Load("http://d.example/x.ttl", True, None)),
        ("LOAD <http://d.example/x.ttl> INTO GRAPH <http://g.example/>",
         Load("http://d.example/x.ttl", False, "http://g.example/")),
        ("LOAD <x.ttl>", Load("http://base.example/x.ttl", False, None)),
    ],
    ids=["plain", "silent-lowercase", "into-graph", "relative-to-the-callers-base"],
)
def test_load_is_parsed(text, load):
    assert parse_update(text, base_iri="http://base.example/").loads == (load,)


@pytest.mark.parametrize("text", ["LOAD ;", "LOAD ?x", "LOAD <http://d.example/> INTO <http://g.example/>",
                                  "LOAD <http://d.example/> CLEAR ALL", "LOAD <http://d.example/> ;;"],
                         ids=["no-target", "variable-target", "into-without-graph", "missing-separator",
                              "double-semicolon"])
def test_a_malformed_load_is_a_syntax_error(text):
    with pytest.raises(QuerySyntaxError, match=r"^error at 1:\d+: "):
        parse_update(text)


def test_an_empty_update_has_no_operations():
    assert parse_update("PREFIX e: <http://e.example/>").operations == ()


# --- where each SERVICE group is --------------------------------------------------------------------


@pytest.mark.parametrize(
    "clause, group",
    [
        ("SERVICE <http://x.example/> { ?s ?p ?o } .", "{ ?s ?p ?o }"),
        ('SERVICE <http://x.example/> { ?s ?p "a } b" }', '{ ?s ?p "a } b" }'),
        ("SERVICE <http://x.example/> { ?s ?p '''}\n}''' }", "{ ?s ?p '''}\n}''' }"),
        ("SERVICE <http://x.example/> { ?s <http://e.example/#a> ?o }", "{ ?s <http://e.example/#a> ?o }"),
        ('SERVICE <http://x.example/> { ?s ?p "# no comment }" }', '{ ?s ?p "# no comment }" }'),
        ("SERVICE <http://x.example/> { ?s ?p ?o # a } in a comment\n }", "{ ?s ?p ?o # a } in a comment\n }"),
        ("SERVICE <http://x.example/> { { ?s ?p ?o } UNION { ?s ?q ?o } OPTIONAL { ?o ?r ?z } }",
         "{ { ?s ?p ?o } UNION { ?s ?q ?o } OPTIONAL { ?o ?r ?z } }"),
        ("SERVICE SILENT <http://x.example/>{?s ?p ?o}", "{?s ?p ?o}"),
        ("SERVICE <http://x.example/> { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 }",
         "{ SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 }"),
    ],
    ids=["plain", "brace-in-string", "braces-in-long-string", "hash-in-iri", "hash-in-string", "brace-in-comment",
         "nested-groups", "silent-no-spaces", "subquery"],
)
def test_a_service_group_counts_only_braces_outside_strings_iris_and_comments(clause, group):
    text = f"SELECT * WHERE {{ ?a ?b ?c . {clause} ?d ?e ?f }}"
    (service,) = parse_query(text).services
    assert text[service.group_start : service.end] == group
    assert text[service.start :].startswith("SERVICE")
    assert text[service.start : service.end] == clause.removesuffix(" .")


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("SELECT * WHERE { SERVICE <http://x.example/> ?s }", 1, 46),
        ("SELECT * WHERE {\n  SERVICE <http://x.example/> { ?s ?p ?o \n}", 1, 16),
    ],
    ids=["no-group", "unclosed"],
)
def test_a_missing_service_group_is_a_syntax_error(text, line, column):
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(text)
    assert (error.value.line, error.value.column) == (line, column)


# --- syntax errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o >) }", 3, 14),
        ("SELECT * WHERE { ?s ?p ?o } garbage", 1, 29),
        ("SELECT * WHERE { ?s ?p ?o }\n\n  \x01", 3, 3),
        ("SELECT * WHERE { ?s ?p ?o ) }", 1, 27),
        ("SELECT * WHERE { ?s ?p ?o", 1, 16),
        ("SELECT * WHERE {\n ?s ?p \"a\nb\" }", 2, 8),
        ("SELECT * WHERE { ?s ?p \"\\uD800\" }", 1, 25),
        ("SELECT * WHERE { ?s ?p ?o }\n VALUES (?x ?y) { (1) }", 2, 21),
        ("SELECT (STRLEN(1, 2) AS ?n) { }", 1, 9),
        ("CLEAR GRAPH", 1, 12),
    ],
    ids=["expression", "trailing-word", "control-character", "unopened-paren", "unclosed-brace",
         "newline-in-a-short-string", "surrogate-escape", "values-row-width", "function-arity", "update-at-the-end"],
)
def test_syntax_errors_carry_line_and_column(text, line, column):
    parse = parse_update if text.startswith("CLEAR") else parse_query
    with pytest.raises(QuerySyntaxError) as error:
        parse(text)
    assert (error.value.line, error.value.column) == (line, column)
    assert str(error.value).startswith(f"error at {line}:{column}: ")


def test_an_update_is_not_a_query_and_a_query_is_not_an_update():
    with pytest.raises(QuerySyntaxError, match="expected SELECT"):
        parse_query("INSERT DATA { <http://a/> <http://b/> <http://c/> }")
    with pytest.raises(QuerySyntaxError, match="expected an update operation"):
        parse_update("SELECT * { }")


def test_tokens_end_with_eof():
    stream = list(tokens("SELECT * # done"))
    assert [(t.kind, t.text) for t in stream] == [("word", "SELECT"), ("punct", "*"), ("eof", "")]
    assert stream[-1].start == stream[-1].end == len("SELECT * # done")


# --- limits ------------------------------------------------------------------------------------------


def test_a_text_over_the_length_cap_is_refused_naming_the_cap():
    text = "SELECT * { ?s ?p ?o }"
    parse_query(text, SyntaxLimits(max_length=len(text)))
    with pytest.raises(QueryTooComplex) as refused:
        parse_query(text + " ", SyntaxLimits(max_length=len(text)))
    assert (refused.value.limit, refused.value.cap, refused.value.found) == ("length", len(text), len(text) + 1)
    assert "--max-query-length" in str(refused.value)


@pytest.mark.parametrize("parse", [parse_query, parse_update], ids=["query", "update"])
def test_a_text_over_the_length_cap_is_refused_before_tokenizing(parse, monkeypatch):
    def no_tokens(text):
        raise AssertionError("tokenized")

    monkeypatch.setattr(parser_module, "tokens", no_tokens)
    huge = "\x00" * 20_000_000  # not one token in it: a tokenizer would fail on it, slowly or not
    started = time.monotonic()
    with pytest.raises(QueryTooComplex) as refused:
        parse(huge)
    assert time.monotonic() - started < 0.5
    assert (refused.value.limit, refused.value.found) == ("length", len(huge))


def nested(kind: str, depth: int) -> str:
    """A query whose brackets of one kind nest ``depth`` deep (counting every bracket of the text)."""
    if kind == "paren":
        return "SELECT (" + "(" * (depth - 1) + "1" + ")" * (depth - 1) + " AS ?x) { }"
    if kind == "brace":
        return "SELECT * " + "{" * depth + "}" * depth
    if kind == "bracket":
        return "SELECT * { ?s ?p " + "[ ?p " * (depth - 1) + "?o" + " ]" * (depth - 1) + " }"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["paren", "brace", "bracket"])
def test_nesting_up_to_the_depth_cap_parses_and_one_more_is_refused(kind):
    assert parse_query(nested(kind, 64)).form == "SELECT"
    with pytest.raises(QueryTooComplex) as refused:
        parse_query(nested(kind, 65))
    assert (refused.value.limit, refused.value.cap) == ("depth", 64)
    assert "--max-query-depth" in str(refused.value)


def test_the_depth_cap_is_configurable():
    with pytest.raises(QueryTooComplex, match="limit of 3"):
        parse_query(nested("paren", 4), SyntaxLimits(max_depth=3))
    parse_query(nested("paren", 65), SyntaxLimits(max_depth=65))


def test_nesting_deeper_than_python_allows_is_too_complex_not_a_crash():
    depth = 5_000  # an operator may set the cap that high; Python's own recursion limit is lower
    with pytest.raises(QueryTooComplex) as refused:
        parse_query(nested("paren", depth), SyntaxLimits(max_depth=depth))
    assert refused.value.limit == "depth"


def test_a_deeply_nested_text_is_refused_without_recursion():
    with pytest.raises(QueryTooComplex):
        parse_query("SELECT * { FILTER(" + "(" * 100_000 + ")" * 100_000 + ") }")


@pytest.mark.parametrize(
    "text",
    ["SELECT * { ?s ?p 1, 2, 3, 4 }", "SELECT * { ?s ?p ?o ; ?q ?r . ?a ?b ?c . ?d ?e ?f }",
     "SELECT * { ?s ?p [ ?q [ ?r [ ?t ?u ] ] ] }", "SELECT * { { ?a ?b ?c } UNION { ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } }",
     "CONSTRUCT { ?a ?b ?c . ?d ?e ?f } WHERE { ?a ?b ?c . ?d ?e ?f }"],
    ids=["object-list", "property-list", "blank-node-property-lists", "union", "construct-template-and-where"],
)
def test_more_triple_patterns_than_the_cap_are_refused(text):
    with pytest.raises(QueryTooComplex) as refused:
        parse_query(text, SyntaxLimits(max_triple_patterns=3))
    assert (refused.value.limit, refused.value.cap) == ("triple_patterns", 3)
    assert "--max-triple-patterns" in str(refused.value)


def test_the_triple_pattern_cap_itself_passes():
    assert parse_query("SELECT * { ?s ?p 1, 2, 3 }", SyntaxLimits(max_triple_patterns=3)).triple_patterns == 3


@pytest.mark.parametrize(
    "text",
    ["INSERT DATA { <http://a/> <http://b/> 1, 2, 3, 4 . <http://c/> <http://d/> 5 }",
     "DELETE DATA { GRAPH <http://g/> { <http://a/> <http://b/> 1, 2, 3, 4, 5 } }",
     "INSERT DATA { <http://a/> <http://b/> 1, 2, 3, 4 } ; DELETE DATA { <http://a/> <http://b/> 1, 2, 3, 4 }"],
    ids=["insert-data", "delete-data-in-a-graph", "both"],
)
def test_data_triples_are_not_counted_as_patterns(text):
    assert parse_update(text, SyntaxLimits(max_triple_patterns=3)).triple_patterns == 0


@pytest.mark.parametrize(
    "text",
    ["DELETE WHERE { ?s ?p 1, 2, 3, 4 }",
     "INSERT DATA { <http://a/> <http://b/> 1, 2, 3, 4, 5 } ; INSERT { ?s ?p 1 } WHERE { ?s ?p 1, 2, 3 }",
     "DELETE { ?s ?p ?o } INSERT { ?s ?q ?o } WHERE { ?s ?p ?o . ?o ?r ?z }"],
    ids=["delete-where", "patterns-after-data", "modify"],
)
def test_update_patterns_are_counted(text):
    with pytest.raises(QueryTooComplex, match="triple patterns"):
        parse_update(text, SyntaxLimits(max_triple_patterns=3))


# --- the project's own queries --------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "queries").glob("*.rq")), ids=lambda p: p.stem)
def test_every_analyst_query_parses(path):
    reading = parse_query(path.read_text(encoding="utf-8"), prefixes=PREFIXES)
    assert reading.form == "SELECT" and reading.services == () and not reading.has_dataset_clause
    assert reading.triple_patterns > 0


def test_there_are_analyst_queries():
    assert len(list((ROOT / "queries").glob("*.rq"))) >= 20


# --- where the reading differs from the engine's ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["SELECT * WHERE { ?s ?p ?o FILTER(?o<?p&&?p>?o) }",
     "SELECT * WHERE { ?s ?p ?o FILTER(1<2&&3>2) }",
     "SELECT ?x WHERE { ?x ?p ?o } GROUP BY ?x HAVING (?x<?y&&?z>1)"],
    ids=["variables", "numbers", "having"],
)
def test_a_less_than_without_spaces_is_read_as_the_engine_reads_it(text):
    # pyoxigraph runs these (a comparison, then another): the reader takes `<?p&&?p>` for an IRI and
    # refuses a query the engine accepts, and that the endpoint answered before the reader existed
    import pyoxigraph as ox

    list(ox.Store().query(text))
    parse_query(text)


@pytest.mark.parametrize("text, graphs", [
    ("WITH <http://e/w> DELETE { ?s ?p ?o } USING <http://e/u> USING NAMED <http://e/n> "
     "WHERE { GRAPH <http://e/q> { ?s ?p ?o } }",
     ["http://e/w", "http://e/u", "http://e/n", "http://e/q"]),
    ("PREFIX e: <http://e/> INSERT DATA { GRAPH e:g { <a:s> <a:p> 1 } } ; CLEAR GRAPH e:c ; DROP SILENT GRAPH <http://e/d>",
     ["http://e/g", "http://e/c", "http://e/d"]),
    ("BASE <http://e/> CREATE GRAPH <new> ; ADD <from> TO DEFAULT ; COPY DEFAULT TO GRAPH <to> ; "
     "LOAD <http://x/f> INTO GRAPH <in>",
     ["http://e/new", "http://e/from", "http://e/to", "http://e/in"]),
    ("DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s <http://e/not-a-graph> ?o } } ; CLEAR ALL", []),
])
def test_an_update_names_its_graphs(text, graphs):
    assert list(parse_update(text).graphs) == graphs
