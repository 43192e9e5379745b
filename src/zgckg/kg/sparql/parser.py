"""A recognizer for the whole SPARQL 1.1 Query and Update grammar (and the SPARQL 1.2 syntax Oxigraph reads).

It builds no algebra: it checks the text against the grammar and records what this server must know
before the engine sees the text — every SERVICE (target, SILENT, where its group is), every LOAD, the
PREFIX/BASE declarations and where they stand, whether the query names its own dataset, and the update's
operations. Reading the real grammar, rather than looking for keywords, is what makes ``1SERVICE``,
``<…#>`` or a comment ended by a lone CR mean here what they mean to the engine.

Recursive descent over the tokens, one token of look-ahead, so the time is linear in the length. The
text's length is checked against :class:`SyntaxLimits` before anything else, and its bracket nesting as
the tokens are read (a token or two ahead of the parser), so the recursion is bounded by the depth limit;
the triple patterns are counted as they are read. Semantic rules (a variable projected twice, ``SELECT *`` with ``GROUP BY``) are left to
the engine, which reports them with its own message.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ...errors import QuerySyntaxError, QueryTooComplex
from .lexer import DECLARATION, FORM, Token, outline, syntax_error, tokens, unescape


@dataclass(frozen=True)
class SyntaxLimits:
    """How large a query or update may be before the engine sees it; over a limit is QueryTooComplex."""

    max_length: int = 200_000
    """Characters of query or update text (bulk data belongs in the Graph Store Protocol, /store)."""
    max_depth: int = 64
    """Brackets of any kind ( { [ << nested in one another."""
    max_triple_patterns: int = 2_000
    """Triple patterns in the whole request (INSERT DATA / DELETE DATA not counted)."""


@dataclass(frozen=True)
class Declaration:
    """A PREFIX or BASE declaration: where it stands and the IRI it declares (resolved against BASE)."""

    keyword: str  # "PREFIX" or "BASE"
    name: str | None  # the prefix, without its colon
    iri: str
    start: int
    end: int


@dataclass(frozen=True)
class Service:
    """``SERVICE [SILENT] target { … }``: the target (None for a variable), and where keyword and group are."""

    iri: str | None
    silent: bool
    start: int
    group_start: int
    end: int
    inner: bool
    """Inside another SERVICE's group: the remote it is sent to evaluates it."""


@dataclass(frozen=True)
class Load:
    iri: str
    silent: bool
    graph: str | None


@dataclass(frozen=True)
class Operation:
    """One operation of an update, where it is in the text, and its LOAD when it is one."""

    start: int
    end: int
    load: Load | None = None


@dataclass(frozen=True)
class Reading:
    """What the parser found in a query or an update."""

    text: str
    kind: str  # "query" or "update"
    form: str | None = None  # SELECT, CONSTRUCT, DESCRIBE or ASK for a query
    declarations: tuple[Declaration, ...] = ()
    services: tuple[Service, ...] = ()
    operations: tuple[Operation, ...] = ()
    has_dataset_clause: bool = False
    """FROM or FROM NAMED in the query (the protocol's dataset and the union default graph yield to it)."""
    triple_patterns: int = 0
    graphs: tuple[str, ...] = ()
    """The IRIs the text names as graphs (GRAPH, WITH, USING, INTO, the targets of CLEAR, DROP, ADD …)."""

    @property
    def loads(self) -> tuple[Load, ...]:
        return tuple(op.load for op in self.operations if op.load is not None)

    def declarations_before(self, at: int) -> list[Declaration]:
        return [d for d in self.declarations if d.start < at]


def parse_query(text: str, limits: SyntaxLimits = SyntaxLimits(), prefixes: dict[str, str] | None = None,
                base_iri: str | None = None) -> Reading:
    """The reading of a SPARQL query; QuerySyntaxError or QueryTooComplex when it has none."""
    return _read("query", text, limits, prefixes, base_iri)


def parse_update(text: str, limits: SyntaxLimits = SyntaxLimits(), prefixes: dict[str, str] | None = None,
                 base_iri: str | None = None) -> Reading:
    """The reading of a SPARQL update; QuerySyntaxError or QueryTooComplex when it has none."""
    return _read("update", text, limits, prefixes, base_iri)


def _read(kind: str, text: str, limits: SyntaxLimits, prefixes: dict[str, str] | None, base_iri: str | None) -> Reading:
    parser = _Parser(text, limits, prefixes, base_iri)
    try:
        parser.query() if kind == "query" else parser.update()
    except RecursionError:  # Python's own limit, should a configured depth limit be higher than it allows
        raise QueryTooComplex("depth", limits.max_depth, None, "nested brackets") from None
    return parser.reading(kind)


@dataclass(frozen=True)
class Scan:
    """What a query's tokens alone show."""

    acts_on_nothing: bool
    """No SERVICE and no FROM anywhere (not even run into another word), brackets within the depth limit,
    fewer tokens than the pattern limit: reading the grammar would only repeat the engine's own check, so
    the engine may judge the syntax. Most queries are like this; the scan costs a fifth of a full reading."""
    form: str | None
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the first of them in the text is the query's form (a subquery
    can only come later), so what kind of result it gives is known before it runs."""


def scan(text: str, limits: SyntaxLimits = SyntaxLimits()) -> Scan:
    """Read a query's tokens, not its grammar (see :class:`Scan`)."""
    if len(text) > limits.max_length:
        raise QueryTooComplex("length", limits.max_length, len(text), "characters")
    return _glance(text, limits) or _scan_tokens(text, limits)


def _glance(text: str, limits: SyntaxLimits) -> Scan | None:
    """The scan's answer where the text shows it without being cut into tokens, else None.

    The prologue (PREFIX and BASE declarations, whitespace and comments) is read exactly, and the form is
    the keyword after it. Past that keyword, a text in which "SERVICE" and "FROM" appear nowhere, in any
    case, and no backslash (so no escape an engine might decode into either), has no token that contains
    them; every bracket character counts toward the depth and every character but whitespace toward the
    tokens, which bounds both from above. Anything else is for the tokens: this only spares the typical
    query the cost of cutting its whole text. (A text the tokens could not cut is then the engine's to
    report, as any other syntax error in a text that names no SERVICE or FROM.)
    """
    at = declared = 0
    while (declaration := DECLARATION.match(text, at)) is not None:
        at, declared = declaration.end(), declared + 1
    if (form := FORM.match(text, at)) is None:
        return None
    at = form.end()
    rest = text[at:].upper()
    if "SERVICE" in rest or "FROM" in rest or "\\" in rest:
        return None
    if sum(text.count(bracket, at) for bracket in "([{") + text.count("<<", at) > limits.max_depth:
        return None
    spaces = sum(text.count(space, at) for space in " \t\r\n")
    if 3 * declared + 1 + len(text) - at - spaces > limits.max_triple_patterns:
        return None
    return Scan(True, form["form"].upper())


def _scan_tokens(text: str, limits: SyntaxLimits) -> Scan:
    depth = count = 0
    form = None
    for kind, value in outline(text):
        count += 1
        if kind == "punct":
            if value in _OPEN:
                depth += 1
                if depth > limits.max_depth:
                    raise QueryTooComplex("depth", limits.max_depth, None, "nested brackets")
            elif value in _CLOSE:
                depth -= 1
        elif kind in ("word", "pname"):
            upper = value.upper()
            if "SERVICE" in upper or "FROM" in upper:
                return Scan(False, form)
            if form is None and upper in _FORMS:
                form = upper
        elif kind == "error":
            return Scan(False, form)  # for the grammar to report
    return Scan(count <= limits.max_triple_patterns, form)


# --- the grammar's vocabulary ------------------------------------------------------------------------

_OPEN = {"(": ")", "{": "}", "[": "]", "<<": ">>", "<<(": ")>>", "{|": "|}"}
_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
_CLOSE = set(_OPEN.values())
_RELATIONAL = {"=", "!=", "<", ">", "<=", ">="}
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}
# built-in functions and how many arguments each takes (min, max); None: an expression list of any length
_FUNCTIONS: dict[str, tuple[int, int] | None] = {
    **dict.fromkeys(
        ["STR", "LANG", "DATATYPE", "IRI", "URI", "ABS", "CEIL", "FLOOR", "ROUND", "STRLEN", "UCASE", "LCASE",
         "ENCODE_FOR_URI", "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ", "MD5",
         "SHA1", "SHA256", "SHA384", "SHA512", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC",
         "SUBJECT", "PREDICATE", "OBJECT", "ISTRIPLE", "LANGDIR", "HASLANG", "HASLANGDIR"], (1, 1)),
    **dict.fromkeys(
        ["LANGMATCHES", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE", "STRAFTER", "STRLANG", "STRDT",
         "SAMETERM", "ADJUST"], (2, 2)),
    **dict.fromkeys(["RAND", "NOW", "UUID", "STRUUID"], (0, 0)),
    **dict.fromkeys(["IF", "TRIPLE", "STRLANGDIR"], (3, 3)),
    "BNODE": (0, 1), "SUBSTR": (2, 3), "REPLACE": (3, 4), "REGEX": (2, 3),
    "CONCAT": None, "COALESCE": None,
}
_BATCH = 64
_NOT_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_BUILTINS = {*_FUNCTIONS, *_AGGREGATES, "BOUND", "EXISTS", "NOT"}
_GRAPH_PATTERN_WORDS = {"OPTIONAL", "MINUS", "GRAPH", "SERVICE", "FILTER", "BIND", "VALUES", "LATERAL"}
_UPDATE_WORDS = {"LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "INSERT", "DELETE", "WITH"}
_KEYWORDS = {
    *_FUNCTIONS, *_AGGREGATES, *_GRAPH_PATTERN_WORDS, *_UPDATE_WORDS, "BOUND", "EXISTS", "NOT", "IN", "A", "TRUE",
    "FALSE", "SELECT", "CONSTRUCT", "DESCRIBE", "ASK", "WHERE", "FROM", "NAMED", "DISTINCT", "REDUCED", "AS",
    "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "LIMIT", "OFFSET", "UNDEF", "UNION", "SILENT", "BASE",
    "PREFIX", "VERSION", "DATA", "USING", "INTO", "TO", "DEFAULT", "ALL", "SEPARATOR",
}
"""Every word the grammar knows: such a token is that keyword, never keywords run together."""


@dataclass
class _State:
    declarations: list[Declaration] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    base: str | None = None
    form: str | None = None
    has_dataset_clause: bool = False
    triple_patterns: int = 0
    graphs: list[str] = field(default_factory=list)
    in_service: int = 0
    counting: bool = True


class _Parser:
    def __init__(self, text: str, limits: SyntaxLimits, prefixes: dict[str, str] | None, base_iri: str | None):
        if len(text) > limits.max_length:
            raise QueryTooComplex("length", limits.max_length, len(text), "characters")
        self.text = text
        self.limits = limits
        self.tokens: list[Token] = []  # read lazily, a batch ahead of the parser
        self._stream = tokens(text)
        self._open: list[Token] = []  # the brackets open where the lexer stands
        self.i = 0
        self.state = _State(prefixes=dict(prefixes or {}), base=base_iri)

    def reading(self, kind: str) -> Reading:
        s = self.state
        return Reading(self.text, kind, s.form, tuple(s.declarations), tuple(s.services), tuple(s.operations),
                       s.has_dataset_clause, s.triple_patterns, tuple(dict.fromkeys(s.graphs)))

    # --- tokens ----------------------------------------------------------------------------------------

    def _token(self, i: int) -> Token:
        """Token ``i``, read from the text when first asked for, a batch at a time (reading again after a
        keyword split or a ``<`` costs at most one batch, so the whole stays linear)."""
        read = self.tokens
        if i >= len(read):
            read.extend(itertools.islice(self._stream, i - len(read) + _BATCH))
            while len(read) <= i:  # past the end: the end again
                read.append(read[-1])
        return read[i]

    def _read_again(self, start: int, less_than: bool = False, keep: int = 0) -> None:
        """Forget the tokens read ahead of the parser (but ``keep``) and read on from ``start``."""
        del self.tokens[self.i + keep :]
        self._stream = tokens(self.text, start, less_than)

    def _less_than_here(self) -> None:
        """Read the current ``<…>`` again as the operator ``<`` (or ``<=``): where an operator is expected,
        ``?a<?b&&?c>?d`` compares, as the engine reads it, although its ``<?b&&?c>`` is a well-formed IRI."""
        self._read_again(self.peek.start, less_than=True)

    def keyword(self, *candidates: str) -> str:
        """The keyword among ``candidates`` (upper case) the current token is or begins with, '' if none.

        The engine matches a keyword and reads on without a word boundary, so ``SELECTDISTINCT``,
        ``trueSERVICE`` or ``LIMIT1`` are keywords run together; so are ``SERVICEex:s`` and ``PREFIXex:``
        when what follows the keyword is a prefixed name (``ex:`` declared, unless it is being declared).
        Such a token is split after the longest keyword it begins with, and the rest read again.
        """
        token = self.peek
        if token.kind == "word":
            if token.key in candidates:
                return token.key
            if token.key in _KEYWORDS:  # a whole keyword, not one of these
                return ""
        elif token.kind != "pname":
            return ""
        upper = token.text.upper()
        found = max((c for c in candidates if upper.startswith(c) and len(upper) > len(c)), key=len, default="")
        if found and token.kind == "pname":
            rest = token.text[len(found) :].partition(":")[0]
            if not (found == "PREFIX" or rest in self.state.prefixes):
                return ""
        if found:
            self.tokens[self.i] = Token("word", token.text[: len(found)], token.start, token.start + len(found), found)
            self._read_again(token.start + len(found), keep=1)
        return found

    def at_boolean(self) -> bool:
        """``true`` or ``false``, in lower case only, as the engine reads them (perhaps run into what follows)."""
        token = self.peek
        if token.kind != "word" or token.key in _KEYWORDS:
            return token.text in ("true", "false")
        word = next((w for w in ("true", "false") if token.text.startswith(w)), None)
        if word and word != token.text:
            self.tokens[self.i] = Token("word", word, token.start, token.start + len(word), word.upper())
            self._read_again(token.start + len(word), keep=1)
        return word is not None

    def _count(self, token: Token) -> None:
        if token.kind != "punct":
            return
        if token.text in _OPEN:
            self._open.append(token)
            if len(self._open) > self.limits.max_depth:
                raise QueryTooComplex("depth", self.limits.max_depth, None, "nested brackets")
        elif token.text in _CLOSE and self._open:
            self._open.pop()

    @property
    def peek(self) -> Token:
        try:
            return self.tokens[self.i]
        except IndexError:
            return self._token(self.i)

    def next(self) -> Token:
        """The current token, consumed. Brackets are counted as they are consumed, so the recursion, which
        follows them, never goes deeper than the limit."""
        token = self._token(self.i)
        if token.kind != "eof":
            self._count(token)
            self.i += 1
        return token

    def word(self, token: Token | None = None) -> str:
        """The keyword a token spells (upper case), or '' when it is not a bare word."""
        token = token or self.peek
        return token.key if token.kind == "word" else ""

    def at(self, *texts: str) -> bool:
        token = self.peek
        if token.key in texts:
            return True
        if token.kind not in ("word", "pname") or token.key in _KEYWORDS:
            return False
        return bool(self.keyword(*(t for t in texts if t[0].isalpha())))

    def accept(self, *texts: str) -> Token | None:
        return self.next() if self.at(*texts) else None

    def expect(self, *texts: str) -> Token:
        if self.at(*texts):
            return self.next()
        raise self.error(" or ".join(texts))

    def error(self, expected: str) -> QuerySyntaxError:
        token = self.peek
        if token.kind == "eof" and self._open:
            return syntax_error(self.text, self._open[-1].start, f"{self._open[-1]} is never closed")
        return syntax_error(self.text, token.start, f"expected {expected}, found {token}")

    # --- IRIs --------------------------------------------------------------------------------------------

    def iri(self) -> str:
        """An IRIREF or prefixed name, resolved to an absolute IRI where a BASE allows."""
        token = self.peek
        if token.kind == "iri":
            self.next()
            iri = unescape(token.text[1:-1])
            if _NOT_IN_IRI.search(iri):  # written as \u escapes: the engine refuses them as it would unescaped
                raise syntax_error(self.text, token.start, f"{token} is not a valid IRI")
            return self._resolve(iri)
        if token.kind == "pname":
            self.next()
            prefix, _, local = token.text.partition(":")
            if prefix not in self.state.prefixes:
                known = ", ".join(f"{name}:" for name in sorted(self.state.prefixes)) or "none"
                raise syntax_error(self.text, token.start, f"the prefix {prefix}: is not declared; declare it with "
                                   f"PREFIX {prefix}: <…> (declared here: {known})")
            return self.state.prefixes[prefix] + unescape(local)
        raise self.error("an IRI")

    def graph_iri(self) -> str:
        """An IRI in a graph's place (GRAPH, WITH, USING, INTO, CLEAR, …), remembered."""
        iri = self.iri()
        self.state.graphs.append(iri)
        return iri

    def at_iri(self) -> bool:
        return self.peek.kind in ("iri", "pname")

    def _resolve(self, iri: str) -> str:
        try:
            if self.state.base and not urlsplit(iri).scheme:
                return urljoin(self.state.base, iri)
        except ValueError:  # an authority such as "//[::1" that cannot be resolved against the base
            raise syntax_error(self.text, self.tokens[self.i - 1].start, f"<{iri[:200]}> is not a valid IRI") from None
        return iri

    # --- prologue ----------------------------------------------------------------------------------------

    def prologue(self) -> None:
        while True:
            start = self.peek.start
            if self.accept("BASE"):
                base = self.iri_token("BASE")
                self.state.base = base
                self.state.declarations.append(Declaration("BASE", None, base, start, self.tokens[self.i - 1].end))
            elif self.accept("PREFIX"):
                token = self.peek
                if token.kind != "pname" or not token.text.endswith(":") or token.text.count(":") != 1:
                    raise self.error("a prefix name ending with ':'")
                self.next()
                iri = self.iri_token("PREFIX")
                self.state.prefixes[token.text[:-1]] = iri
                self.state.declarations.append(
                    Declaration("PREFIX", token.text[:-1], iri, start, self.tokens[self.i - 1].end))
            elif self.accept("VERSION"):
                self.expect_kind("string")
            else:
                return

    def iri_token(self, keyword: str) -> str:
        if self.peek.kind != "iri":
            raise self.error(f"an IRI in <…> after {keyword}")
        return self.iri()

    def expect_kind(self, kind: str) -> Token:
        if self.peek.kind != kind:
            raise self.error(f"a {kind}")
        return self.next()

    # --- queries -----------------------------------------------------------------------------------------

    def query(self) -> None:
        self.prologue()
        form = self.keyword("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
        if form == "SELECT":
            self.select_clause()
            self.dataset_clauses()
            self.where_clause()
            self.solution_modifier()
        elif form == "CONSTRUCT":
            self.next()
            if self.at("{"):
                self.construct_template()
                self.dataset_clauses()
                self.where_clause()
            else:
                self.dataset_clauses()
                self.expect("WHERE")
                self.expect("{")
                if not self.at("}"):
                    self.triples_template("}")
                self.expect("}")
            self.solution_modifier()
        elif form == "DESCRIBE":
            self.next()
            if not self.accept("*"):
                self.var_or_iri()
                while self.peek.kind in ("var", "iri", "pname"):
                    self.var_or_iri()
            self.dataset_clauses()
            if self.at("WHERE", "{"):
                self.where_clause()
            self.solution_modifier()
        elif form == "ASK":
            self.next()
            self.dataset_clauses()
            self.where_clause()
            self.solution_modifier()
        else:
            raise self.error("SELECT, CONSTRUCT, DESCRIBE or ASK")
        self.state.form = form
        self.values_clause()
        if self.peek.kind != "eof":
            raise self.error("the end of the query")

    def select_clause(self) -> None:
        self.expect("SELECT")
        self.accept("DISTINCT", "REDUCED")
        if self.accept("*"):
            return
        count = 0
        while True:
            if self.peek.kind == "var":
                self.next()
            elif self.accept("("):
                self.expression()
                self.expect("AS")
                self.var()
                self.expect(")")
            else:
                break
            count += 1
        if not count:
            raise self.error("'*', a variable or (expression AS ?var)")

    def dataset_clauses(self) -> None:
        while self.accept("FROM"):
            self.accept("NAMED")
            self.iri()
            self.state.has_dataset_clause = True

    def where_clause(self) -> None:
        if not self.accept("WHERE") and not self.at("{"):
            raise self.error("WHERE or '{'")
        self.group_graph_pattern()

    def solution_modifier(self) -> None:
        if self.accept("GROUP"):
            self.expect("BY")
            self.group_condition()
            while self.at("(") or self.peek.kind in ("var", "iri", "pname") or self.is_builtin():
                self.group_condition()
        if self.accept("HAVING"):
            self.constraint()
            while self.at("(") or self.at_iri() or self.is_builtin():
                self.constraint()
        if self.accept("ORDER"):
            self.expect("BY")
            self.order_condition()
            while self.at("(", "ASC", "DESC") or self.peek.kind in ("var", "iri", "pname") or self.is_builtin():
                self.order_condition()
        if self.accept("LIMIT"):
            self.integer()
            if self.accept("OFFSET"):
                self.integer()
        elif self.accept("OFFSET"):
            self.integer()
            if self.accept("LIMIT"):
                self.integer()

    def integer(self) -> None:
        token = self.peek
        if token.kind != "number" or not token.text.isdigit():
            raise self.error("an integer")
        self.next()

    def group_condition(self) -> None:
        if self.accept("("):
            self.expression()
            if self.accept("AS"):
                self.var()
            self.expect(")")
        elif self.peek.kind == "var":
            self.next()
        elif self.at_iri():
            self.function_call()
        else:
            self.builtin_call()

    def order_condition(self) -> None:
        if self.accept("ASC", "DESC"):
            self.bracketed_expression()
        elif self.peek.kind == "var":
            self.next()
        else:
            self.constraint()

    def constraint(self) -> None:
        if self.at("("):
            self.bracketed_expression()
        elif self.at_iri():
            self.function_call()
        else:
            self.builtin_call()

    def values_clause(self) -> None:
        if self.accept("VALUES"):
            self.data_block()

    def data_block(self) -> None:
        if self.peek.kind == "var":
            self.next()
            self.expect("{")
            while not self.at("}"):
                self.data_block_value()
            self.next()
            return
        width = 0
        if self.peek.kind == "nil":
            self.next()
        else:
            self.expect("(")
            while self.peek.kind == "var":
                self.next()
                width += 1
            self.expect(")")
        self.expect("{")
        while not self.at("}"):
            if self.peek.kind == "nil":
                self.next()
                found = 0
            else:
                self.expect("(")
                found = 0
                while not self.at(")"):
                    self.data_block_value()
                    found += 1
                self.next()
            if found != width:
                raise syntax_error(self.text, self.tokens[self.i - 1].start,
                                   f"this VALUES row has {found} values for {width} variables")
        self.next()

    def data_block_value(self) -> None:
        if self.accept("UNDEF"):
            return
        if self.at("<<("):
            self.triple_term(data=True)
            return
        self.rdf_term(allow_bnode=False)

    # --- group graph patterns ----------------------------------------------------------------------------

    def group_graph_pattern(self) -> tuple[int, int]:
        start = self.expect("{").start
        if self.at("SELECT"):
            self.sub_select()
        else:
            self.group_graph_pattern_sub()
        return start, self.expect("}").end

    def sub_select(self) -> None:
        self.select_clause()
        self.where_clause()
        self.solution_modifier()
        self.values_clause()

    def group_graph_pattern_sub(self) -> None:
        while not self.at("}"):
            if self.at("{") or self.keyword(*_GRAPH_PATTERN_WORDS):
                self.graph_pattern_not_triples()
                self.accept(".")
            elif self.at_term_start():
                self.triples_same_subject(path=True)
                if not self.accept("."):
                    if not (self.at("}", "{") or self.keyword(*_GRAPH_PATTERN_WORDS)):
                        raise self.error("'.', '}' or a graph pattern")
            else:
                raise self.error("a triple pattern, a graph pattern or '}'")

    def graph_pattern_not_triples(self) -> None:
        word = self.keyword(*_GRAPH_PATTERN_WORDS)
        if self.at("{"):
            self.group_graph_pattern()
            while self.accept("UNION"):
                self.group_graph_pattern()
        elif word in ("OPTIONAL", "MINUS", "LATERAL"):
            self.next()
            self.group_graph_pattern()
        elif word == "GRAPH":
            self.next()
            self.graph_var_or_iri()
            self.group_graph_pattern()
        elif word == "SERVICE":
            self.service()
        elif word == "FILTER":
            self.next()
            self.constraint()
        elif word == "BIND":
            self.next()
            self.expect("(")
            self.expression()
            self.expect("AS")
            self.var()
            self.expect(")")
        else:
            self.next()
            self.data_block()

    def service(self) -> None:
        start = self.next().start
        silent = bool(self.accept("SILENT"))
        if self.peek.kind == "var":
            self.next()
            iri = None
        else:
            iri = self.iri()
        inner = self.state.in_service > 0
        self.state.in_service += 1
        group_start, end = self.group_graph_pattern()
        self.state.in_service -= 1
        self.state.services.append(Service(iri, silent, start, group_start, end, inner))

    # --- triples -----------------------------------------------------------------------------------------

    def at_term_start(self) -> bool:
        token = self.peek
        if token.kind in ("var", "iri", "pname", "bnode", "string", "number", "nil", "anon"):
            return True
        return self.at("(", "[", "<<", "<<(") or self.at_boolean()

    def triples_template(self, end: str) -> None:
        """Triples separated by '.', up to (not including) ``end``."""
        while True:
            self.triples_same_subject(path=False)
            if not self.accept(".") or self.at(end) or not self.at_term_start():
                return

    def construct_template(self) -> None:
        self.expect("{")
        if not self.at("}"):
            self.triples_template("}")
        self.expect("}")

    def triples_same_subject(self, path: bool) -> None:
        if self.at("[") or (self.at("(") and self.peek.kind != "nil"):
            self.triples_node(path)
            if self.at_verb(path):
                self.property_list(path)
        elif self.at("<<"):
            self.reified_triple()
            if self.at_verb(path):
                self.property_list(path)
        else:
            self.var_or_term()
            self.property_list(path)

    def at_verb(self, path: bool) -> bool:
        token = self.peek
        if token.kind in ("var", "iri", "pname") or (token.kind == "word" and token.text == "a"):
            return True
        return path and self.at("^", "!", "(")

    def property_list(self, path: bool) -> None:
        """Verb ObjectList ( ';' ( Verb ObjectList )? )*"""
        self.verb(path)
        self.object_list(path)
        while self.accept(";"):
            if self.at_verb(path):
                self.verb(path)
                self.object_list(path)

    def verb(self, path: bool) -> None:
        token = self.peek
        if token.kind == "var":
            self.next()
        elif path:
            self.path_alternative()
        elif token.kind == "word" and token.text == "a":
            self.next()
        else:
            self.iri()

    def object_list(self, path: bool) -> None:
        while True:
            self.graph_node(path)
            if self.state.counting:
                self.state.triple_patterns += 1
                if self.state.triple_patterns > self.limits.max_triple_patterns:
                    raise QueryTooComplex("triple_patterns", self.limits.max_triple_patterns, None, "triple patterns")
            self.annotation(path)
            if not self.accept(","):
                return

    def annotation(self, path: bool) -> None:
        while True:
            if self.accept("~"):
                if self.peek.kind in ("var", "iri", "pname", "bnode", "anon"):
                    self.next()
            elif self.accept("{|"):
                self.property_list(path)
                self.expect("|}")
            else:
                return

    def graph_node(self, path: bool) -> None:
        if self.at("[") or (self.at("(") and self.peek.kind != "nil"):
            self.triples_node(path)
        elif self.at("<<"):
            self.reified_triple()
        else:
            self.var_or_term()

    def triples_node(self, path: bool) -> None:
        if self.accept("["):
            self.property_list(path)
            self.expect("]")
            return
        self.expect("(")
        self.graph_node(path)
        while not self.at(")"):
            self.graph_node(path)
        self.next()

    def reified_triple(self) -> None:
        self.expect("<<")
        self.reified_part()
        self.verb(path=False)
        self.reified_part()
        if self.accept("~"):
            if self.peek.kind in ("var", "iri", "pname", "bnode", "anon"):
                self.next()
        self.expect(">>")

    def reified_part(self) -> None:
        if self.at("<<"):
            self.reified_triple()
        elif self.at("<<("):
            self.triple_term()
        else:
            self.var_or_term()

    def triple_term(self, data: bool = False) -> None:
        self.expect("<<(")
        for position in ("subject", "predicate", "object"):
            if self.at("<<(") and position != "predicate":
                self.triple_term(data)
            elif position == "predicate":
                self.verb(path=False)
            elif data:
                self.rdf_term(allow_bnode=False)
            else:
                self.var_or_term()
        self.expect(")>>")

    def var_or_term(self) -> None:
        token = self.peek
        if token.kind == "var":
            self.next()
        elif token.kind in ("bnode", "anon", "nil"):
            self.next()
        elif self.at("<<("):
            self.triple_term()
        else:
            self.rdf_term(allow_bnode=True)

    def rdf_term(self, allow_bnode: bool) -> None:
        """An IRI, a literal (string with its language or datatype, number, boolean) or a blank node."""
        token = self.peek
        if token.kind in ("iri", "pname"):
            self.iri()
        elif token.kind == "string":
            self.next()
            if self.peek.kind == "langtag":
                self.next()
            elif self.accept("^^"):
                self.iri()
        elif token.kind == "number" or self.at_boolean():
            self.next()
        elif allow_bnode and token.kind in ("bnode", "anon"):
            self.next()
        else:
            raise self.error("an RDF term")

    def var_or_iri(self) -> None:
        if self.peek.kind == "var":
            self.next()
        else:
            self.iri()

    def graph_var_or_iri(self) -> None:
        if self.peek.kind == "var":
            self.next()
        else:
            self.graph_iri()

    def var(self) -> None:
        self.expect_kind("var")

    # --- property paths ----------------------------------------------------------------------------------

    def path_alternative(self) -> None:
        self.path_sequence()
        while self.accept("|"):
            self.path_sequence()

    def path_sequence(self) -> None:
        self.path_elt_or_inverse()
        while self.accept("/"):
            self.path_elt_or_inverse()

    def path_elt_or_inverse(self) -> None:
        self.accept("^")
        self.path_primary()
        self.accept("?", "*", "+")

    def path_primary(self) -> None:
        token = self.peek
        if token.kind == "word" and token.text == "a":
            self.next()
        elif self.accept("!"):
            if self.accept("("):
                if not self.at(")"):
                    self.path_one_in_property_set()
                    while self.accept("|"):
                        self.path_one_in_property_set()
                self.expect(")")
            elif self.peek.kind == "nil":
                self.next()
            else:
                self.path_one_in_property_set()
        elif self.accept("("):
            self.path_alternative()
            self.expect(")")
        else:
            self.iri()

    def path_one_in_property_set(self) -> None:
        self.accept("^")
        token = self.peek
        if token.kind == "word" and token.text == "a":
            self.next()
        else:
            self.iri()

    # --- expressions -------------------------------------------------------------------------------------

    def bracketed_expression(self) -> None:
        self.expect("(")
        self.expression()
        self.expect(")")

    def expression(self) -> None:
        """ConditionalOr; the binary levels are read in one loop each, so nesting costs few frames."""
        self.relational()
        while self.accept("||", "&&"):
            self.relational()

    def relational(self) -> None:
        self.additive()
        if self.peek.kind == "iri":
            self._less_than_here()
        if self.peek.kind == "punct" and self.peek.text in _RELATIONAL:
            self.next()
            self.additive()
        elif self.accept("IN"):
            self.expression_list()
        elif self.at("NOT") and self.word(self._token(self.i + 1)) == "IN":
            self.next()
            self.next()
            self.expression_list()

    def additive(self) -> None:
        self.unary()
        while True:
            if self.accept("+", "-", "*", "/"):
                self.unary()
            elif self.peek.kind == "number" and self.peek.text[0] in "+-":
                self.next()  # '1 -1': a signed number is an addition
            else:
                return

    def unary(self) -> None:
        self.accept("!", "+", "-")
        self.primary()

    def primary(self) -> None:
        token = self.peek
        if self.at("("):
            self.bracketed_expression()
        elif token.kind == "var":
            self.next()
        elif token.kind in ("iri", "pname"):
            self.function_call(optional_args=True)
        elif token.kind in ("string", "number") or self.at_boolean():
            self.rdf_term(allow_bnode=False)
        elif self.at("<<("):
            self.triple_term()
        elif self.is_builtin():
            self.builtin_call()
        else:
            raise self.error("an expression")

    def is_builtin(self) -> bool:
        return bool(self.keyword(*_BUILTINS))

    def function_call(self, optional_args: bool = False) -> None:
        self.iri()
        if self.peek.kind == "nil":
            self.next()
        elif self.at("("):
            self.next()
            self.accept("DISTINCT")
            self.expression()
            while self.accept(","):
                self.expression()
            self.expect(")")
        elif not optional_args:
            raise self.error("'(' and the function's arguments")

    def expression_list(self) -> int:
        if self.peek.kind == "nil":
            self.next()
            return 0
        self.expect("(")
        self.expression()
        count = 1
        while self.accept(","):
            self.expression()
            count += 1
        self.expect(")")
        return count

    def builtin_call(self) -> None:
        token = self.peek
        word = self.keyword(*_BUILTINS)
        if word in _AGGREGATES:
            self.aggregate()
        elif word == "BOUND":
            self.next()
            self.expect("(")
            self.var()
            self.expect(")")
        elif word == "EXISTS":
            self.next()
            self.group_graph_pattern()
        elif word == "NOT":
            self.next()
            self.expect("EXISTS")
            self.group_graph_pattern()
        elif word in _FUNCTIONS:
            self.next()
            arity = _FUNCTIONS[word]
            count = self.expression_list()
            if arity is not None and not arity[0] <= count <= arity[1]:
                expected = str(arity[0]) if arity[0] == arity[1] else f"{arity[0]} to {arity[1]}"
                raise syntax_error(self.text, token.start, f"{word} takes {expected} arguments, not {count}")
        else:
            raise self.error("a function")

    def aggregate(self) -> None:
        word = self.word(self.next())
        self.expect("(")
        self.accept("DISTINCT")
        if word == "COUNT" and self.accept("*"):
            pass
        else:
            self.expression()
        if word == "GROUP_CONCAT" and self.accept(";"):
            self.expect("SEPARATOR")
            self.expect("=")
            self.expect_kind("string")
        self.expect(")")

    # --- updates -----------------------------------------------------------------------------------------

    def update(self) -> None:
        while True:
            self.prologue()
            if self.peek.kind == "eof":
                return
            start = self.peek.start
            load = self.update_operation()
            self.state.operations.append(Operation(start, self.tokens[self.i - 1].end, load))
            if not self.accept(";"):
                if self.peek.kind != "eof":
                    raise self.error("';' or the end of the update")
                return

    def update_operation(self) -> Load | None:
        word = self.keyword(*_UPDATE_WORDS)
        if not word:
            raise self.error("an update operation (INSERT, DELETE, LOAD, CLEAR, …)")
        self.next()
        if word == "LOAD":
            silent = bool(self.accept("SILENT"))
            iri = self.iri()
            graph = None
            if self.accept("INTO"):
                self.expect("GRAPH")
                graph = self.graph_iri()
            return Load(iri, silent, graph)
        if word in ("CLEAR", "DROP"):
            self.accept("SILENT")
            if not self.accept("DEFAULT", "NAMED", "ALL"):
                self.expect("GRAPH")
                self.graph_iri()
        elif word == "CREATE":
            self.accept("SILENT")
            self.expect("GRAPH")
            self.graph_iri()
        elif word in ("ADD", "MOVE", "COPY"):
            self.accept("SILENT")
            self.graph_or_default()
            self.expect("TO")
            self.graph_or_default()
        elif word in ("INSERT", "DELETE") and self.accept("DATA"):
            self.state.counting = False  # data, not patterns: bounded by the length limit alone
            self.quad_pattern()
            self.state.counting = True
        elif word == "DELETE" and self.accept("WHERE"):
            self.quad_pattern()
        else:
            self.modify(word)
        return None

    def graph_or_default(self) -> None:
        if not self.accept("DEFAULT"):
            self.accept("GRAPH")
            self.graph_iri()

    def modify(self, word: str) -> None:
        if word == "WITH":
            self.graph_iri()
            word = self.word(self.expect("INSERT", "DELETE"))
        self.quad_pattern()
        if word == "DELETE" and self.accept("INSERT"):
            self.quad_pattern()
        while self.accept("USING"):
            self.accept("NAMED")
            self.graph_iri()
        self.expect("WHERE")
        self.group_graph_pattern()

    def quad_pattern(self) -> None:
        self.expect("{")
        while not self.at("}"):
            if self.accept("GRAPH"):
                self.graph_var_or_iri()
                self.expect("{")
                if not self.at("}"):
                    self.triples_template("}")
                self.expect("}")
                self.accept(".")
            else:
                self.triples_template("}")
                if not self.at("}", "GRAPH"):
                    raise self.error("'.', 'GRAPH' or '}'")
        self.next()


__all__ = [
    "Declaration", "Load", "Operation", "Reading", "Scan", "Service", "SyntaxLimits", "parse_query", "scan",
    "parse_update",
]
