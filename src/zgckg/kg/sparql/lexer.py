"""SPARQL's terminals (SPARQL 1.1 §19.8, with the SPARQL 1.2 additions Oxigraph reads), one pass, linear.

The whole text is cut into tokens before the parser looks at it, by one compiled pattern tried at each
position, so the cost is proportional to the length. Whitespace is only space, tab, CR and LF, and a
comment runs from ``#`` to the next CR or LF, as in the grammar (and in Oxigraph: a comment ended by a CR
alone ends there). ``\\u`` escapes count only inside IRIs and strings, where Oxigraph decodes them; a
SPARQL 1.0 style pre-pass over the whole text would read some queries differently from the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...errors import QuerySyntaxError

_BASE = (
    "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F"
    "\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
)
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf\\"']"""
_EXPONENT = r"[eE][+-]?[0-9]+"

_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\r\n]+|\#[^\r\n]*)
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<string>\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*\"\"\"
             |'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''
             |"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*"
             |'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*')
  | (?P<pname>(?:{_PREFIX})?:(?:{_LOCAL})?)
  | (?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)
  | (?P<var>[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)
  | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
  | (?P<number>[+-]?(?:[0-9]+\.[0-9]*{_EXPONENT}|\.[0-9]+{_EXPONENT}|[0-9]+{_EXPONENT}|[0-9]*\.[0-9]+|[0-9]+))
  | (?P<nil>\([ \t\r\n]*\))
  | (?P<anon>\[[ \t\r\n]*\])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\^\^|\|\||&&|!=|<=|>=|<<\(|\)>>|<<|>>|\{{\||\|\}}|[{{}}()\[\].,;*+\-/!^|=<>?~])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """iri, string, pname, bnode, var, langtag, number, nil, anon, word, punct or eof."""
    text: str
    start: int
    end: int
    key: str = ""
    """What the parser compares: a word in upper case (keywords are case-insensitive), a punctuation mark."""

    def __str__(self) -> str:
        return "the end of the text" if self.kind == "eof" else repr(self.text)


def tokens(text: str, start: int = 0, less_than: bool = False) -> Iterator[Token]:
    """The significant tokens of ``text`` from ``start``, ending with one of kind ``eof``; QuerySyntaxError
    where none fits. With ``less_than``, a ``<`` at ``start`` is the operator, not the start of an IRI."""
    at, size, match = start, len(text), _TOKEN.match
    if less_than and text.startswith("<", at):
        width = 2 if text.startswith("<=", at) else 1
        yield Token("punct", text[at : at + width], at, at + width, text[at : at + width])
        at += width
    while at < size:
        found = match(text, at)
        if found is None:
            raise syntax_error(text, at, f"unexpected character {text[at]!r}")
        kind = found.lastgroup
        if kind != "ws":
            if kind in ("iri", "string") and "\\" in found.group():
                _check_code_points(text, at, found.group())
            value = found.group()
            yield Token(kind, value, at, found.end(), value.upper() if kind == "word" else value if kind == "punct" else "")
        at = found.end()
    yield Token("eof", "", size, size)


def outline(text: str) -> Iterator[tuple[str, str]]:
    """Kind and text of each significant token, ``("error", "")`` where none fits: the tokens without
    their positions or checks, for a scan that only looks for words (a fifth of the cost of :func:`tokens`)."""
    at, size, match = 0, len(text), _TOKEN.match
    while at < size:
        found = match(text, at)
        if found is None:
            yield "error", ""
            return
        at = found.end()
        if found.lastgroup != "ws":
            yield found.lastgroup, found.group()


_GAP = r"(?:[ \t\r\n]+|\#[^\r\n]*)*"
_IRI = rf"""<(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>"""
_ENDS = rf"(?![{_CHARS}.:])"
"""A keyword ends here: what follows would not make it part of a longer word or a prefixed name."""
DECLARATION = re.compile(rf"{_GAP}(?:(?i:PREFIX){_ENDS}{_GAP}(?:{_PREFIX})?:{_GAP}{_IRI}|(?i:BASE){_ENDS}{_GAP}{_IRI})")
"""One PREFIX or BASE declaration, after any whitespace and comments: three tokens at most."""
FORM = re.compile(rf"{_GAP}(?P<form>(?i:SELECT|CONSTRUCT|DESCRIBE|ASK)){_ENDS}")
"""A query form's keyword, after any whitespace and comments."""

_CODE_POINT = re.compile(_UCHAR)


def _check_code_points(text: str, at: int, token: str) -> None:
    """A ``\\u`` escape must name a Unicode scalar value: no surrogate halves, nothing past U+10FFFF."""
    for escape in _CODE_POINT.finditer(token):
        value = int(escape.group()[2:], 16)
        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
            raise syntax_error(text, at + escape.start(), f"{escape.group()} is not a Unicode character")


def syntax_error(text: str, at: int, message: str) -> QuerySyntaxError:
    """A syntax error at character ``at``, with its line and column (both from 1) in the message."""
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    return QuerySyntaxError(f"error at {line}:{column}: {message}", line, column, text)


_ESCAPE = re.compile(rf"{_UCHAR}|{_ECHAR}|\\[_~.\-!$&'()*+,;=/?#@%]")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def unescape(text: str) -> str:
    """Escapes decoded: ``\\u``/``\\U`` code points, string escapes, and a prefixed name's ``\\`` escapes."""
    if "\\" not in text:
        return text

    def decode(found: re.Match) -> str:
        escape = found.group()
        if escape[1] in "uU":
            return chr(int(escape[2:], 16))
        return _ECHARS.get(escape[1], escape[1])

    return _ESCAPE.sub(decode, text)
