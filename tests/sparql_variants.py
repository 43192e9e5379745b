"""SPARQL queries and updates around SERVICE and LOAD, generated from a seed, and a loopback canary.

Used by the test comparing this server's reading of a text with the engine's (test_sparql_differential)
and by the end-to-end SSRF tests (test_e2e_ssrf). Every SERVICE and LOAD target is an IRI on ``base``
(the test's canary) with a path of its own, ``/v<variant>s<k>`` (``l`` for LOAD, ``o`` for an outer
SERVICE around another, ``d`` for a decoy: text that would be a SERVICE or LOAD if a comment, string or IRI
were read the wrong way), so the canary's log tells which of them a reader took for a target.

The variants mutate what a lexer can get wrong: whitespace and comments (``#…`` ended by LF, CR, CRLF or
the end of the text, and characters that end no comment), keyword case, numbers glued to keywords
(``1SERVICE``, ``1e3SERVICE``, ``.5SERVICE``), ``\\u``/``\\U`` escapes in IRIs and strings (of ``>``,
``#``, ``"``, ``\\``, ``{``, ``}`` too), braces and ``#`` inside IRIs and strings; and the grammar
around SERVICE: SILENT, prefixed and relative targets, OPTIONAL, UNION, MINUS, subqueries, EXISTS, GRAPH,
LATERAL, nested SERVICE, FROM, every query form, update operations. A share of them is corrupted (a
character deleted, inserted, doubled; the text cut short) and many are syntax errors on purpose.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urljoin, urlsplit

SEED = 20240611

DATA_TRIG = """
<http://x/s> <http://x/p> 1 .
<http://x/s> <http://x/p> <http://x/o> .
<http://x/s> <http://x/p> "v" .
<http://x/s> <http://x/n> 1, 1.5, 1e3, .5, -1, +.5e-3, 2.0 .
<http://x/g> {
  <http://x/s> <http://x/p> 1 .
  <http://x/s> <http://x/p> "v" .
  <http://x/s> <http://x/p> <http://x/o> .
  <http://x/s> <http://x/n> 1, 1.5, 1e3, .5, -1, +.5e-3, 2.0 .
}
"""
"""The engine's data: every pattern the generator puts next to a SERVICE matches it, in the default graph
and in <http://x/g> (the graph FROM and GRAPH name), so evaluation goes on to the SERVICE."""


@dataclass(frozen=True)
class Variant:
    number: int
    kind: str  # "query" or "update"
    family: str
    text: str
    reaches_all: bool
    """Built so that evaluating it (when the engine accepts it) contacts every outermost SERVICE target and
    every LOAD source; False where evaluation may stop short (LIMIT, a short-circuited EXISTS, localhost
    that may resolve to ::1 first, a corruption)."""
    prefixes: tuple[tuple[str, str], ...] = ()
    """Prefixes given to the engine and the parser without a PREFIX in the text."""
    base_iri: str | None = None
    """A base IRI given to the engine and the parser, not declared in the text."""
    corrupted: bool = False


# --- the canary --------------------------------------------------------------------------------------

EMPTY_RESULTS = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'
"""One solution without bindings: SPARQL's neutral element for a join, so evaluation goes on past the
SERVICE to the next one (no solution at all would end a group's evaluation there)."""


@dataclass
class Hit:
    method: str
    host: str
    path: str

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"


class Canary:
    """A loopback HTTP server recording every request. By default it answers a SERVICE (a request
    accepting SPARQL results) with one empty solution and anything else (a LOAD) with an empty Turtle
    document; with ``body`` it answers everything with that body and ``status``."""

    def __init__(self, body: bytes | None = None, status: int = 200):
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        canary = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                # the request line came as bytes; http.server decoded them as latin-1
                path = self.path.encode("latin-1").decode("utf-8", "replace")
                with canary._lock:
                    canary.hits.append(Hit(self.command, self.headers.get("Host", ""), path))
                if body is not None:
                    content, kind = body, "text/plain"
                elif "sparql-results" in (self.headers.get("Accept") or ""):
                    content, kind = EMPTY_RESULTS, "application/sparql-results+json"
                else:
                    content, kind = b"", "text/turtle"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(content)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def take(self) -> list[Hit]:
        """The requests since the last call."""
        with self._lock:
            hits, self.hits = self.hits, []
        return hits

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


def normalized(url: str) -> str:
    """A target as a comparable string: no fragment, scheme and authority in lower case, percent escapes
    and dot segments resolved, an empty path as '/'."""
    parts = urlsplit(url)
    root = f"{parts.scheme.lower()}://{parts.netloc.lower()}/"
    path = urlsplit(urljoin(root, unquote(parts.path) or "/")).path
    return root[:-1] + path + (f"?{unquote(parts.query)}" if parts.query else "")


# --- the three bypasses of the old regex lexer --------------------------------------------------------

def known_bypasses(base: str) -> dict[str, str]:
    """The queries that got past the old lexer to the engine's HTTP client, on ``base``."""
    return {
        "number-glued-to-service": f"SELECT * WHERE {{ ?s ?p 1SERVICE <{base}/a> {{ ?a ?b ?c }} }}",
        "escape-then-hash-in-iri": (
            f"SELECT * WHERE {{ ?s ?p ?o FILTER(?s != <http://x/\\u0041#>) SERVICE <{base}/b> {{ ?a ?b ?c }} }} "
            "LIMIT 1"),
        "comment-ended-by-cr": f"#x\rSELECT * WHERE {{ SERVICE <{base}/c> {{ ?a ?b ?c }} }}",
    }


def known_load_bypasses(base: str) -> dict[str, str]:
    """The same tricks around LOAD."""
    return {
        "load-after-cr-comment": f"#x\rLOAD <{base}/la>",
        "load-after-escape-then-hash": (
            f"INSERT DATA {{ <http://x/s> <http://x/p> <http://x/\\u0041#> }} ; LOAD <{base}/lb>"),
        "load-after-number": f"INSERT DATA {{ <http://x/s> <http://x/p> 1 }};LOAD <{base}/lc>",
        "service-glued-in-update": (
            f"INSERT {{ ?s ?p ?o }} WHERE {{ ?s ?p 1SERVICE <{base}/ld> {{ ?a ?b ?c }} }}"),
    }


# --- pieces ----------------------------------------------------------------------------------------------

PLAIN_SEPARATORS = [" ", " ", " ", " ", "\n", "\r\n", "\t", "  "]
ODD_SEPARATORS = [
    "\r", "\n\n", " \t\r\n ", "#c\n", "#c\r", "#c\r\n", "# } {\n", "#{\r", '#"\r\n', "#'\n", "#\\\n",
    "#<\r", "#>\r\n", "# \\u000A x\n", "# \\u000D x\r\n", "#\n", "#\r", "\r\r", "# ''' \"\"\" \n",
]
STRANGE_SPACE = ["\x0b", "\x0c", "\u00a0", "\u2028", "\u2029", "\x85", "\ufeff", "\u3000", "\x00"]
"""Characters that are neither whitespace nor a line end in SPARQL."""
COMMENT_ENDS = ["\n", "\r", "\r\n"]
TEXT_ENDS = ["", "", "", "", "#end", "#end\n", "#end\r", "\n#", " #}", "\r\n", "#\\u000A"]
NUMBERS = ["1", "1.5", "1e3", ".5", "-1", "+.5e-3", "1E+3", "1.", "2.0", "01", "1.0e0"]
"""Objects for ``?s <http://x/n> …`` glued to the next keyword (``1.`` is 1 and a dot). The data holds all
but 1.0e0 (the double 1, not the integer): after that one, evaluation stops before the SERVICE."""
NUMBERS_IN_DATA = {"1", "1.5", "1e3", ".5", "-1", "+.5e-3", "1E+3", "1.", "2.0", "01"}
ESCAPABLE_IN_IRI_BAD = ["\\u003E", "\\u003e", "\\u0022", "\\u005C", "\\u007B", "\\u007D", "\\u0020", "\\u003C",
                        "\\U0000003E", "\\u007c", "\\u005E", "\\u0060"]
"""Escapes of characters an IRI may not hold: the engine refuses the text, this server may accept it."""
KEYWORDS_CASES = ("upper", "lower", "title", "mixed")


def _escape_char(rng: random.Random, ch: str) -> str:
    code = ord(ch)
    text = f"\\u{code:04X}" if rng.random() < 0.7 else f"\\U{code:08X}"
    return text if rng.random() < 0.5 else text[:2] + text[2:].lower()


def escaped(rng: random.Random, text: str, share: float) -> str:
    """``text`` with about ``share`` of its characters written as ``\\u``/``\\U`` escapes."""
    return "".join(_escape_char(rng, ch) if rng.random() < share else ch for ch in text)


_LAZY = {"in-exists", "in-not-exists", "in-exists-call", "in-and-exists", "in-false-and-exists",
         "in-subquery-limit"}
"""Wrappers whose group the engine evaluates only until it has enough solutions."""
_BRANCHING = {"in-union-left", "in-union-right"}


@dataclass
class _Gen:
    rng: random.Random
    base: str
    number: int
    kind: str = "query"
    odd: bool = False
    """This variant uses unusual separators, comments and keyword case."""
    reach: bool = True
    count: int = 0
    declarations: list[str] = field(default_factory=list)
    declared: dict[str, str] = field(default_factory=dict)
    base_declared: str | None = None
    prefixes: dict[str, str] = field(default_factory=dict)
    base_iri: str | None = None
    families: list[str] = field(default_factory=list)

    # --- lexical surface -------------------------------------------------------------------------------

    def path(self, letter: str) -> str:
        self.count += 1
        return f"/v{self.number}{letter}{self.count}"

    def kw(self, word: str) -> str:
        r = self.rng
        case = "upper" if not self.odd and r.random() < 0.8 else r.choice(KEYWORDS_CASES)
        if case == "upper":
            return word.upper()
        if case == "lower":
            return word.lower()
        if case == "title":
            return word.title()
        return "".join(c.upper() if r.random() < 0.5 else c.lower() for c in word)

    def kws(self, *words: str) -> str:
        """Keywords one after the other; now and then, in an odd variant, with nothing between them (the
        engine reads ``SERVICESILENT`` as SERVICE SILENT, a tokenizer reads one word)."""
        text = self.kw(words[0])
        for word in words[1:]:
            if self.odd and self.rng.random() < 0.04:
                self.families.append("glued-keywords")
                text += self.kw(word)
            else:
                text += self.sp() + self.kw(word)
        return text

    def sp(self) -> str:
        """Separation between two tokens that would run together without it."""
        r = self.rng
        if not self.odd or r.random() < 0.6:
            return r.choice(PLAIN_SEPARATORS)
        if r.random() < 0.85:
            return r.choice(ODD_SEPARATORS)
        return self.decoy_comment()

    def gap(self) -> str:
        """Optional separation, between tokens that may touch."""
        return "" if self.rng.random() < (0.4 if self.odd else 0.1) else self.sp()

    def decoy_comment(self) -> str:
        """A comment holding a whole SERVICE or LOAD clause, ended as comments end."""
        word = "LOAD" if self.kind == "update" and self.rng.random() < 0.5 else "SERVICE"
        clause = f"{word} <{self.base}{self.path('d')}>" + (" { ?a ?b ?c }" if word == "SERVICE" else "")
        return f"#{self.rng.choice(['', ' ', '}'])}{clause}{self.rng.choice(COMMENT_ENDS)}"

    def element_slot(self) -> str:
        """What may stand between two group elements: a separator or, now and then, a comment ended by a
        character that ends no comment, followed by a SERVICE clause (a SERVICE only if it did end it)."""
        r = self.rng
        if self.odd and r.random() < 0.2:
            strange = r.choice(STRANGE_SPACE)
            self.families.append("strange-comment-end")
            return (f" #c{strange}SERVICE <{self.base}{self.path('d')}> {{ ?a ?b ?c }}"
                    f"{r.choice(COMMENT_ENDS)}")
        if self.odd and r.random() < 0.05:
            self.families.append("strange-space")
            self.reach = False
            return r.choice(STRANGE_SPACE)
        return self.sp()

    # --- targets ---------------------------------------------------------------------------------------

    def target(self, letter: str = "s") -> tuple[str, bool]:
        """A target IRI as the text spells it, and whether it needs a separator before it."""
        r = self.rng
        path = self.path(letter)
        iri = self.base + path
        roll = r.random()
        if roll < 0.35:
            return f"<{iri}>", False
        if roll < 0.50:
            self.families.append("escaped-target")
            return f"<{escaped(r, iri, r.choice([0.05, 0.2, 1.0]))}>", False
        if roll < 0.56:
            self.families.append("fragment-target")
            frag = r.choice(["#f", "\\u0023f", "#\\u0041", "#", "#{}", "\\u0023", "?q=1#x", "?q=\\u0023"])
            if "{" in frag:
                self.reach = False  # not an IRI: the engine refuses it
            return f"<{iri}{frag}>", False
        if roll < 0.60:
            self.families.append("bad-escape-target")
            self.reach = False
            return f"<{iri}{r.choice(ESCAPABLE_IN_IRI_BAD)}>", False
        if roll < 0.72:
            self.families.append("prefixed-target")
            name = r.choice(["c", "", "svc", "a1.b", "s-1", "\u00e9"])
            self.declare_prefix(name, self.base + "/")
            local = path[1:]
            if r.random() < 0.2:
                local = local[:2] + r.choice(["\\~", "\\-", "%41", "\\.", "\\_"]) + local[2:]
            return f"{name}:{local}", True
        if roll < 0.76 and self.kind == "query":
            self.families.append("predeclared-prefix-target")
            self.prefixes["pre"] = self.base + "/"
            return f"pre:{path[1:]}", True
        if roll < 0.88:
            self.families.append("relative-target")
            if self.base_declared is None and self.base_iri is None:
                if r.random() < 0.2:
                    self.base_iri = self.base + "/r/q/"
                else:
                    self.declare_base()
            reference = r.choice([f"../..{path}", path, f"//{urlsplit(self.base).netloc}{path}",
                                  f"../../{path[1:]}", f"./../..{path}"])
            return f"<{escaped(r, reference, 0.1) if r.random() < 0.2 else reference}>", False
        if roll < 0.91:
            self.families.append("localhost-target")
            self.reach = False  # localhost may resolve to ::1 first, where the canary does not listen
            return f"<http://localhost:{urlsplit(self.base).port}{path}>", False
        if roll < 0.94:
            self.families.append("upper-scheme-target")
            return f"<{r.choice(['HTTP', 'Http'])}{iri[4:]}>", False
        if roll < 0.96:
            self.families.append("odd-authority-target")
            self.reach = False
            port = urlsplit(self.base).port
            return "<" + r.choice([f"http://[::1{path}>", f"http://127.0.0.1]:{port}{path}>",
                                   f"http://127.0.0.1:{port}:{port}{path}>", f"http://[::1]:{port}{path}>",
                                   f"http://127.0.0.1:99999{path}>"]), False
        self.families.append("undeclared-prefix-target")
        return f"nope:{path[1:]}", True

    def declare_prefix(self, name: str, iri: str) -> None:
        if self.declared.get(name) == iri:
            return
        self.declared[name] = iri
        spelled = escaped(self.rng, iri, 0.1) if self.rng.random() < 0.3 else iri
        self.declarations.append(f"{self.kw('PREFIX')}{self.sp()}{name}:{self.gap()}<{spelled}>")

    def declare_base(self) -> None:
        r = self.rng
        if r.random() < 0.3:  # a BASE relative to an earlier one
            self.declarations.append(f"{self.kw('BASE')}{self.gap()}<{self.base}/r/>")
            self.declarations.append(f"{self.kw('BASE')}{self.gap()}<q/>")
        else:
            self.declarations.append(f"{self.kw('BASE')}{self.gap()}<{self.base}/r/q/>")
        self.base_declared = self.base + "/r/q/"

    def prologue(self) -> str:
        r = self.rng
        parts = list(self.declarations)
        if r.random() < 0.2:  # a prefix no target uses, with '#' (or an escape of it, or '{') in its IRI
            iri = r.choice(["http://x/#", "http://x/\\u0023", "http://x/{", "http://x/a#b"])
            parts.insert(r.randrange(len(parts) + 1), f"{self.kw('PREFIX')}{self.sp()}x:{self.gap()}<{iri}>")
        return "".join(p + self.sp() for p in parts)

    # --- patterns --------------------------------------------------------------------------------------

    def tricky_string(self) -> str:
        """A string literal whose content a naive reader could take for its end, a comment or a clause."""
        r = self.rng
        d = f"{self.base}{self.path('d')}"
        choices = [
            f'"\\u0022) SERVICE <{d}> {{ ?a ?b ?c }} FILTER(\\u0022"',
            f"'x\\u0027) SERVICE <{d}> {{ }} FILTER(\\u0027'",
            '"a\\\\"', "'a\\\\'", '"\\""', "'\\''", '"#"', "'#'", '"}"', '"{"', '"{ } #"',
            f'"""a " "" \\" \' # {{ }} SERVICE <{d}> {{ ?a ?b ?c }} \\u0022\\u0022\\u0022 x"""',
            f"'''it''s \\''' SERVICE <{d}> {{ }} '''",
            f'"""\n# SERVICE <{d}> {{ }}\r"""',
            '"\\u003E\\u0023\\u0022\\u005C\\u007B\\u007D"', '"\\U0000003E\\U00000023"', '"\\u005C"',
            '"\\t\\n\\r\\b\\f"', '""', "''", '""""""',
            '"a"@en', '"1"^^<http://www.w3.org/2001/XMLSchema#integer>', '"x"^^<http://x/\\u0041#>',
        ]
        return r.choice(choices)

    def tricky_iri(self) -> str:
        return self.rng.choice([
            "<http://x/#>", "<http://x/\\u0041#>", "<http://x/a#b>", "<http://x/\\u0023>", "<http://x/o>",
            "<http://x/\\U00000041>", "<http://x/#{>", "<http://x/\\u007B>", "<http://x/\\u003E>",
            "<http://x/}>", "<http://x/a b>", "<>", "<#>",
        ])

    def filter_element(self) -> str:
        """A FILTER that keeps every solution (unless its term is refused by the engine)."""
        r = self.rng
        roll = r.random()
        if roll < 0.45:
            # sameTerm, not '!=': comparing a literal of an unknown datatype is an error, which filters out
            return (f"{self.kw('FILTER')}{self.gap()}({self.gap()}!{self.kw('sameTerm')}("
                    f"{self.tricky_string()}, \"zz\"){self.gap()})")
        if roll < 0.8:
            iri = self.tricky_iri()
            if iri in ("<http://x/#{>", "<http://x/\\u007B>", "<http://x/\\u003E>", "<http://x/}>",
                       "<http://x/a b>", "<>", "<#>"):
                self.reach = False
            return f"{self.kw('FILTER')}{self.gap()}({iri} != <http://x/zz>)"
        length = f"{self.kw('STRLEN')}({self.kw('STR')}({self.tricky_string()}))"
        return f"{self.kw('FILTER')}{self.gap()}({length} >= 0 || {self.kw('REGEX')}(\"a#\", \"#\"))"

    def before_elements(self) -> list[str]:
        """Group elements that keep the solutions they get, put before a SERVICE."""
        r = self.rng
        out = []
        for _ in range(r.choice([0, 0, 1, 1, 2, 3])):
            roll = r.random()
            if roll < 0.3:
                out.append(self.filter_element())
            elif roll < 0.45:
                out.append(f"{self.kw('BIND')}({self.tricky_string()} {self.kw('AS')} ?b{self.count})")
                self.count += 1
            elif roll < 0.55:
                out.append(f"{self.kw('VALUES')} ?v{self.count} {{ {self.tricky_string()} 1 <http://x/o> }}")
                self.count += 1
            elif roll < 0.65:
                out.append(f"{self.kw('OPTIONAL')} {{ ?s ?p {self.tricky_string()} }}")
            elif roll < 0.75:
                out.append(f"{{ ?s ?p ?o }} {self.kw('UNION')} {{ ?s ?p {self.tricky_string()} }}")
            elif roll < 0.85:
                out.append("?s <http://x/p>|<http://x/n> ?z .")
            else:
                out.append(f"?s ?p {self.tricky_iri()} .")
                self.reach = False  # the IRI may match nothing
        return out

    def service(self, inner: str | None = None) -> str:
        r = self.rng
        silent = r.random() < 0.25
        head = self.kws("SERVICE", "SILENT") if silent else self.kw("SERVICE")
        if silent:
            self.families.append("silent")
        target, needs_space = self.target()
        head += (self.sp() if needs_space else self.gap()) + target
        if inner is None:
            a, b, c = (f"?{name}{self.count}" for name in "abc")  # shared with no pattern outside
            inner = r.choice([
                f"{a} {b} {c}", "", f'{a} {b} "}}"', f'{a} {b} {c} FILTER({c} != "#")', f"{a} <http://x/#p> {c}",
                f"{a} {b} '''{{ }} SERVICE <{self.base}{self.path('d')}> {{}}'''", f"{a} {b} {c} .",
                f"{{ {a} {b} {c} }}", "?s ?p ?o",
            ])
            if inner == "?s ?p ?o":
                # ?s is bound outside: the engine sends those bindings along and joins the answer with them,
                # and the canary's answer (one solution binding nothing) may end the evaluation there
                self.reach = False
        return f"{head}{self.gap()}{{{self.gap()}{inner}{self.gap()}}}"

    def wrapped(self, service: str, depth: int) -> str:
        """A SERVICE clause inside a graph pattern that evaluation reaches."""
        r = self.rng
        kind = r.choice(["none", "none", "optional", "union-right", "union-left", "minus", "subquery",
                         "subquery-limit", "exists", "not-exists", "exists-call", "and-exists", "graph-var",
                         "graph-iri", "group", "nested", "lateral", "false-and-exists"])
        if depth > 1 and kind == "nested":
            kind = "group"
        self.families.append(f"in-{kind}")
        k, g = self.kw, self.gap
        if kind == "none":
            return service
        if kind == "optional":
            return f"?s ?p ?o {k('OPTIONAL')}{g()}{{{g()}{service}{g()}}}"
        if kind == "union-right":
            return f"{{ ?s ?p ?o }}{g()}{k('UNION')}{g()}{{{g()}{service}{g()}}}"
        if kind == "union-left":
            return f"{{{g()}{service}{g()}}}{g()}{k('UNION')}{g()}{{ ?s ?p ?o }}"
        if kind == "minus":
            return f"?s ?p ?o {k('MINUS')}{g()}{{{g()}{service}{g()}}}"
        if kind == "subquery":
            return f"{{ {k('SELECT')} * {k('WHERE')}{g()}{{{g()}{service}{g()}}}{g()}}}"
        if kind == "subquery-limit":
            return f"{{ {k('SELECT')} ?s {{ ?s ?p ?o {service} }} {k('LIMIT')} 3 }}"
        if kind == "exists":
            return f"?s ?p ?o {self.kws('FILTER', 'EXISTS')}{g()}{{{g()}{service}{g()}}}"
        if kind == "not-exists":
            self.reach = False  # the SERVICE answers a solution: NOT EXISTS drops them all, evaluation ends
            return f"?s ?p ?o {self.kws('FILTER', 'NOT', 'EXISTS')}{g()}{{{g()}{service}{g()}}}"
        if kind == "exists-call":
            return f"?s ?p ?o {k('FILTER')}({k('EXISTS')}{g()}{{{g()}{service}{g()}}})"
        if kind == "and-exists":
            return f"?s ?p ?o {k('FILTER')}(true && {k('EXISTS')} {{ {service} }})"
        if kind == "false-and-exists":
            self.reach = False  # the engine may never evaluate the EXISTS
            return f"?s ?p ?o {k('FILTER')}(false && {k('EXISTS')} {{ {service} }})"
        if kind == "graph-var":
            return f"{k('GRAPH')} ?g {{{g()}{service}{g()}}}"
        if kind == "graph-iri":
            return f"{k('GRAPH')} <http://x/g> {{ ?s ?p ?o {service} }}"
        if kind == "group":
            return f"{{{g()}{service}{g()}}}"
        if kind == "lateral":
            return f"?s ?p ?o {k('LATERAL')} {{{g()}{service}{g()}}}"
        # nested: the outer SERVICE is the one the engine contacts, with the inner one in its group
        return self.service(inner=service)

    def glued(self) -> str:
        """A triple pattern whose last token touches the keyword after it."""
        r = self.rng
        roll = r.random()
        if roll < 0.55:
            number = r.choice(NUMBERS)
            if number not in NUMBERS_IN_DATA:
                self.reach = False
            self.families.append("number-glued")
            return f"?s <http://x/n> {number}"
        self.families.append("term-glued")
        term = r.choice(['?s ?p "v"', "?s ?p 'v'", "?s ?p <http://x/o>", "?s ?p ?o.", "?s ?p []",
                         f"{self.kw('FILTER')}(true)", f"{self.kw('OPTIONAL')}{{?s ?p ?o}}", "?s ?p true",
                         "?s ?p false", '?s ?p "1"^^<http://www.w3.org/2001/XMLSchema#integer>', "?s ?p 1 ;",
                         "?s ?p 1 ,"])
        if term in ("?s ?p true", "?s ?p false"):
            self.families.append("boolean-glued")
            self.reach = False  # the data holds no boolean
        return term

    def group(self) -> str:
        """The WHERE group: elements, one to three SERVICE clauses (each maybe wrapped), elements."""
        r = self.rng
        parts = self.before_elements()
        for _ in range(r.choice([1, 1, 1, 2, 2, 3])):
            if r.random() < 0.25:
                parts.append(self.glued() + self.service())
            else:
                parts.append(self.service_clause())
        if r.random() < 0.3:
            parts.append(self.filter_element())
        body = ""
        for i, part in enumerate(parts):
            body += (self.element_slot() if i else self.gap()) + part
            if r.random() < 0.15:
                body += self.gap() + "."
        return f"{{{body}{self.gap()}}}"

    def service_clause(self) -> str:
        depth = 1 if self.rng.random() < 0.75 else 2
        service = self.service()
        kinds = []
        for level in range(depth):
            before = len(self.families)
            service = self.wrapped(service, level + 1)
            kinds.append(self.families[before] if len(self.families) > before else "")
        if len(kinds) == 2 and kinds[0] in _BRANCHING and kinds[1] in _LAZY:
            self.reach = False  # stops at the first solutions, which the other branch may give
        if len(kinds) == 2 and "in-minus" in kinds:
            # MINUS around more than the SERVICE (a union's ?s ?p ?o branch, a subquery's patterns), or
            # inside LATERAL (whose bindings reach into it), may remove every solution: evaluation ends there
            self.reach = False
        return service

    # --- queries and updates ---------------------------------------------------------------------------

    def query(self) -> str:
        r = self.rng
        k, g = self.kw, self.gap
        form = r.choice(["SELECT", "SELECT", "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"])
        where = self.group()
        dataset = ""
        if r.random() < 0.15:
            self.families.append("from")
            dataset = f"{self.sp()}{k('FROM')}{g()}<http://x/g>"
            if r.random() < 0.5:
                dataset += f"{self.sp()}{self.kws('FROM', 'NAMED')}{g()}<http://x/g>"
            elif any(f.startswith("in-graph") for f in self.families):
                self.reach = False  # FROM without FROM NAMED: no named graph, GRAPH matches nothing
        where_word = f"{self.sp()}{k('WHERE')}{g()}" if r.random() < 0.7 else g()
        if form == "SELECT":
            projection = r.choice(["*", "*", "?s ?o", "DISTINCT *", "REDUCED ?s", "(COUNT(*) AS ?n)"])
            words = projection.split(" ")
            if words[0].isalpha():
                head = self.kws("SELECT", words[0]) + self.sp() + " ".join(words[1:])
            else:
                head = f"{k('SELECT')}{g() if projection[0] in '*(' else self.sp()}{projection}"
        elif form == "ASK":
            head = k("ASK")
            self.reach = False  # ASK stops at the first solution
        elif form == "CONSTRUCT":
            head = f"{k('CONSTRUCT')}{g()}{{ ?s ?p ?o }}"
        else:
            head = f"{k('DESCRIBE')}{self.sp()}{r.choice(['<http://x/s>', '?s', '*'])}"
        modifiers = ""
        if r.random() < 0.2:
            modifier = r.choice(["ORDER BY ?s", "LIMIT 5", "OFFSET 0", "LIMIT 1", "ORDER BY DESC(?s) LIMIT 10"])
            if "LIMIT" in modifier:
                self.reach = False  # evaluation may stop once it has enough solutions
            words = modifier.split(" ")
            if words[:2] == ["ORDER", "BY"]:
                words[:2] = [self.kws("ORDER", "BY")]
            modifiers = self.sp() + " ".join(k(w) if w.isalpha() else w for w in words)
        if form == "SELECT" and "COUNT" in head and r.random() < 0.5:
            modifiers = f"{self.sp()}{self.kws('GROUP', 'BY')} ?s" + modifiers
        self.families.append(form.lower())
        body = head + dataset + where_word + where + modifiers
        return self.prologue() + body

    def operation(self) -> str:
        r = self.rng
        k, g, sp = self.kw, self.gap, self.sp
        roll = r.random()
        if roll < 0.4:
            self.families.append("load")
            text = self.kws("LOAD", "SILENT") if r.random() < 0.3 else k("LOAD")
            target, needs_space = self.target("l")
            text += (sp() if needs_space else g()) + target
            if r.random() < 0.3:
                text += f"{sp()}{self.kws('INTO', 'GRAPH')}{g()}<http://x/g{self.count}>"
            return text
        if roll < 0.6:
            self.families.append("update-service")
            where = self.group()
            templates = [
                f"{k('INSERT')}{g()}{{ {k('GRAPH')} <http://x/g2> {{ ?s ?p ?o }} }}{g()}{k('WHERE')}{g()}{where}",
                f"{k('DELETE')}{g()}{{ ?s <http://x/zz> ?o }}{g()}{k('WHERE')}{g()}{where}",
                f"{k('WITH')}{g()}<http://x/g>{sp()}{k('INSERT')}{g()}{{ ?s <http://x/q> 2 }}{g()}"
                f"{k('WHERE')}{g()}{where}",
                f"{k('DELETE')}{g()}{{ ?s <http://x/zz> ?o }}{g()}{k('INSERT')}{g()}{{ ?s <http://x/q> 3 }}"
                f"{sp()}{k('USING')}{g()}<http://x/g>{sp()}{k('WHERE')}{g()}{where}",  # the one with USING
                f"{k('INSERT')}{g()}{{ ?s <http://x/q> ?o }}{g()}{where}",  # WHERE is not optional: an error
            ]
            chosen = r.randrange(len(templates))
            if chosen == 3 and any(f.startswith("in-graph") for f in self.families):
                self.reach = False  # USING without USING NAMED: no named graph, GRAPH matches nothing
            return templates[chosen]
        if roll < 0.75:
            self.families.append("data-with-decoy")
            literal = self.tricky_string()
            if r.random() < 0.5:
                literal = f'"LOAD <{self.base}{self.path("d")}>"'
            word = r.choice(["INSERT", "DELETE"])
            if word == "DELETE":
                self.reach = False  # it may delete what a later pattern needs
            return f"{self.kws(word, 'DATA')}{g()}{{ <http://x/s> <http://x/p> {literal} }}"
        chosen = r.choice([
            f"{self.kws('CLEAR', 'SILENT', 'GRAPH')} <http://x/none>",
            f"{k('CLEAR')} {k('DEFAULT')}",
            f"{k('DROP')} {k('SILENT')} {k('GRAPH')} <http://x/none>",
            f"{k('CREATE')} {k('SILENT')} {k('GRAPH')} <http://x/new>",
            f"{k('ADD')} {k('SILENT')} <http://x/g> {k('TO')} {k('DEFAULT')}",
            f"{k('COPY')} {k('DEFAULT')} {k('TO')} <http://x/g3>",
            f"{self.kws('DELETE', 'WHERE')} {{ ?s <http://x/zz> ?o }}",
            f"{self.kws('INSERT', 'DATA')} {{ <http://x/s> <http://x/p> 1 }}",
        ])
        if chosen.upper().startswith("CLEAR DEFAULT"):
            self.reach = False  # later patterns find no data
        return chosen

    def update(self) -> str:
        r = self.rng
        ops = [self.operation() for _ in range(r.choice([1, 1, 2, 3]))]
        if not any("LOAD" in op.upper() or "SERVICE" in op.upper() for op in ops):
            ops.append(self.operation())
        text = ""
        for i, op in enumerate(ops):
            if i:
                text += self.gap() + ";" + self.gap()
            text += op
        if r.random() < 0.15:
            text += self.gap() + ";"
        return self.prologue() + text


# --- deliberate errors and corruption --------------------------------------------------------------------

def _broken(g: _Gen) -> str:
    """A text that is a syntax error for the engine (or most likely one), built around a real target."""
    r = g.rng
    t = f"<{g.base}{g.path('s')}>"
    s = "?s ?p ?o"
    k = g.kw
    options = [
        f"SELECT * WHERE {{ {k('SERVICE')} {k('SILENT')} {k('SILENT')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} ?x }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} {{ ?a ?b ?c }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} {{ ?a ?b ?c }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o{k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p _:b{k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p \"v\"@en{k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p true{k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ 1{k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ ?s ?p 1{k('SERVICE')}{t}{{?a ?b ?c}} . . }}",
        f"SELECT * WHERE {{ {s} FILTER(?o != \"x) {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {s} FILTER(?o != <http://x/ {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {s} FILTER(?o != \"\"\"x\" ) {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} <relative{g.path('s')}> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} undeclared:x {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {s} \\u0023 {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {s} \\u000A {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * \\u007B {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} {{ ?a ?b ?c }} }} {k('SERVICE')} {t} {{ }}",
        f"SELECT * WHERE {{ {k('SERVICE')} ?e {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ {t} }} {k('SERVICE')} ?e {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ BIND({t} AS ?e) {k('SERVICE')} ?e {{ ?a ?b ?c }} }}",
        f"CONSTRUCT WHERE {{ {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')}{g.rng.choice(STRANGE_SPACE)}{t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} {{ ?a ?b ?c }} }} #x\r}}",
        f"#x\r\nSELECT * WHERE {{ {k('SERVICE')} {t} {{ ?a ?b ?c }} }}\r#",
        f"SELECT * WHERE {{ {k('SERV')}\\u0049CE {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t}{{?a ?b ?c}}{k('SERVICE')}{t}{{}} }}",
        f"SELECT * WHERE {{ {k('OPTIONAL')} {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} {k('SELECT')} * {{ ?a ?b ?c }} }}",
        f"ASK {{ {k('SERVICE')} {t} {{ {k('SELECT')} * {{ ?a ?b ?c }} }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} {{ {k('SELECT')} * {{ ?a ?b ?c }} }} }}",
        f"SELECT * WHERE {{ {k('SERVICE')} {t} {{ {k('SERVICE')} {t} {{ }} {k('SERVICE')} ?x {{ }} }} }}",
    ]
    if g.kind == "update":
        l = f"<{g.base}{g.path('l')}>"
        options = [
            f"{k('LOAD')} ;", f"{k('LOAD')} {l} ;;", f"{k('LOAD')} {l} {k('CLEAR')} {k('ALL')}",
            f"{k('LOAD')} {l} {k('INTO')} <http://x/g>", f"{k('LOAD')} {k('SILENT')} {k('SILENT')} {l}",
            f"{k('LOAD')} ?x", f"{k('LOAD')} <relative{g.path('l')}>", f"{k('LOAD')} {l} {k('INTO')} {k('GRAPH')} ?g",
            f"{k('INSERT')} {k('DATA')} {{ <http://x/s> <http://x/p> 1 }}{k('LOAD')} {l}",
            f"{k('INSERT')} {k('DATA')} {{ <http://x/s> <http://x/p> 1 }}1{k('LOAD')} {l}",
            f"{k('INSERT')} {k('DATA')} {{ <http://x/s> <http://x/p> \"x }} ; {k('LOAD')} {l}",
            f"{k('DELETE')} {k('WHERE')} {{ {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
            f"{k('INSERT')} {k('DATA')} {{ {k('SERVICE')} {t} {{ ?a ?b ?c }} }}",
            f"{k('INSERT')} {{ ?s ?p ?o }} {k('WHERE')} {{ {k('SERVICE')} {t} ?x }}",
            f"{k('LOAD')}{l} ; {k('LOAD')}{g.rng.choice(STRANGE_SPACE)}{l}",
            f"#x\r{k('LOAD')} {l} #\\u000A {k('LOAD')} {l}",
            f"{k('LOAD')} {l} \\u003B {k('LOAD')} {l}",
            f"{k('CLEAR')} {k('ALL')} ; ; {k('LOAD')} {l}",
        ]
    g.families.append("broken")
    g.reach = False
    return r.choice(options)


_IRI_SPAN = re.compile(r"<[^<>\s]*>")


def corrupted(rng: random.Random, text: str) -> str:
    """``text`` with one small damage, never inside an IRI in <…> (so no target's host changes: a
    damaged host could be a real one, and the engine would try to reach it)."""
    protected = set()
    for found in _IRI_SPAN.finditer(text):
        protected.update(range(found.start() + 1, found.end() - 1))
    positions = [i for i in range(len(text) + 1) if i not in protected]
    at = rng.choice(positions)
    operation = rng.choice(["delete", "insert", "insert", "double", "cut", "swap"])
    if operation == "delete" and at < len(text):
        return text[:at] + text[at + 1:]
    if operation == "insert":
        inserted = rng.choice(list("{}\"'<>#\\\r\n.;()1:?$@_^|") + ["\\u0023", "\\u007D", "1SERVICE"])
        return text[:at] + inserted + text[at:]
    if operation == "double":
        end = min(len(text), at + rng.randint(1, 12))
        if any(i in protected for i in range(at, end)):
            return text[:at] + text[at:]  # nothing doubled: a span of an IRI stays whole
        return text[:end] + text[at:end] + text[end:]
    if operation == "swap" and 0 < at < len(text) and at - 1 not in protected and at not in protected:
        return text[:at - 1] + text[at] + text[at - 1] + text[at + 1:]
    return text[:at]


# --- the variants ----------------------------------------------------------------------------------------

def variants(base: str, count: int = 2400, seed: int = SEED) -> list[Variant]:
    """``count`` variants with their targets on ``base``: the same list for the same seed, count and base
    (and, but for the base in the texts, for any base of the same length)."""
    rng = random.Random(seed)
    out = []
    for number in range(count):
        kind = "update" if rng.random() < 0.25 else "query"
        g = _Gen(random.Random(rng.getrandbits(64)), base, number, kind=kind, odd=rng.random() < 0.4)
        roll = rng.random()
        if roll < 0.03:
            family = "known-bypass"
            pool = known_bypasses if kind == "query" else known_load_bypasses
            text = g.rng.choice(list(pool(f"{base}/v{number}").values()))
            reach = True
        elif roll < 0.13:
            text = _broken(g)
            family, reach = "broken", False
        else:
            text = g.query() if kind == "query" else g.update()
            family = "+".join(sorted(set(g.families))) or kind
            reach = g.reach
        corrupt = rng.random() < 0.18
        if corrupt:
            text = corrupted(g.rng, text)
            reach = False
        elif g.odd and rng.random() < 0.5:
            text += g.rng.choice(TEXT_ENDS)
        out.append(Variant(number, kind, family, text, reach, tuple(sorted(g.prefixes.items())), g.base_iri,
                           corrupt))
    return out


def interleaved(lists: list[list[Variant]]) -> list[Variant]:
    """Variant ``i`` from ``lists[i % len(lists)]``: the same variants, spread over several canaries."""
    return [lists[i % len(lists)][i] for i in range(len(lists[0]))]


__all__ = ["Canary", "DATA_TRIG", "Hit", "Variant", "corrupted", "interleaved", "known_bypasses",
           "known_load_bypasses", "normalized", "variants"]
