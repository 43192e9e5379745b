"""The protocol's update dataset (``using-graph-uri``, ``using-named-graph-uri``) written into the update.

The SPARQL 1.1 Protocol asks a server to treat each ``using-graph-uri=g`` as a ``USING <g>`` clause and
each ``using-named-graph-uri=g`` as a ``USING NAMED <g>`` clause on every operation of the request, and
to refuse a request that also carries a USING, USING NAMED or WITH clause of its own. pyoxigraph's
``Store.update`` takes no dataset, so :func:`add_using_clauses` rewrites the text instead:

- ``DELETE … INSERT … WHERE { … }`` (a Modify operation) gets the clauses just before its top-level WHERE;
- ``DELETE WHERE { quads }`` has no place for USING in the grammar, so it becomes the equivalent
  ``DELETE { quads } USING … WHERE { quads }``: the client's quads stay where they are as the template
  (the keyword WHERE blanked out), and the clauses and the WHERE copy are appended after them;
- every other operation (INSERT DATA, DELETE DATA, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD) is left as
  it is: it has no WHERE for a dataset to apply to.

The rewrite works on the SPARQL lexer's tokens (strings, IRIs and comments skipped) and never moves the client's
text to another line or column, except what follows an insertion on the same line; the parser's error
positions therefore still point at the line the client wrote.
A text the tokens cannot make sense of (unbalanced braces, a Modify without WHERE) is left for the parser
to reject with its own message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyoxigraph as ox

from ..errors import DatasetConflict
from .sparql.lexer import Token, tokens

# A token and the brace depth it stands at (a top-level ``{`` and its ``}`` are at depth 0).
_Placed = tuple[Token, int]
# Replacements (start, end, new text) in one operation, in text order.
_Edit = list[tuple[int, int, str]]


def add_using_clauses(text: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> str:
    """The update with ``USING`` / ``USING NAMED`` clauses for the given graphs in every Modify operation.

    Raises DatasetConflict when graphs are given and the update has a USING, USING NAMED or WITH clause,
    and ValueError for a graph name that is not an absolute IRI.
    """
    if not default_graphs and not named_graphs:
        return text
    clauses = " ".join(
        [f"USING {ox.NamedNode(g)}" for g in default_graphs] + [f"USING NAMED {ox.NamedNode(g)}" for g in named_graphs]
    )
    operations = list(_operations(text))
    for operation in operations:
        _refuse_dataset_clause(text, operation)
    edits = [edit for operation in operations if (edit := _edit(text, operation, clauses)) is not None]
    pieces, last = [], 0
    for start, end, replacement in (change for edit in edits for change in edit):
        pieces += [text[last:start], replacement]
        last = end
    return "".join(pieces) + text[last:]


def _operations(text: str) -> Iterator[list[_Placed]]:
    """The tokens of each operation (split at top-level ``;``), each with its brace depth."""
    operation: list[_Placed] = []
    depth = 0
    for token in tokens(text):
        if _is(token, "}"):
            depth -= 1
        if depth == 0 and _is(token, ";"):
            yield operation
            operation = []
            continue
        operation.append((token, depth))
        if _is(token, "{"):
            depth += 1
    if operation:
        yield operation


def _refuse_dataset_clause(text: str, operation: list[_Placed]) -> None:
    for i, (token, depth) in enumerate(operation):
        word = _word(token)
        if depth == 0 and word in ("USING", "WITH"):
            following = operation[i + 1][0] if i + 1 < len(operation) else None
            clause = "USING NAMED" if word == "USING" and _word(following) == "NAMED" else word
            line, column = _position(text, token.start)
            raise DatasetConflict(clause, line, column)


def _edit(text: str, operation: list[_Placed], clauses: str) -> _Edit | None:
    """The replacements in one operation, or None when it has no WHERE to give a dataset to."""
    keywords = [
        i for i, (token, depth) in enumerate(operation)
        if depth == 0 and _word(token) not in (None, "PREFIX", "BASE")
    ]
    if not keywords:
        return None
    first = keywords[0]
    verb = _word(operation[first][0])
    following = _word(operation[first + 1][0]) if first + 1 < len(operation) else None
    if verb not in ("DELETE", "INSERT") or following == "DATA":
        return None
    if verb == "DELETE" and following == "WHERE":
        return _short_form(text, operation, first + 1, clauses)
    where = next((operation[i][0] for i in keywords if _word(operation[i][0]) == "WHERE"), None)
    return [(where.start, where.start, f"{clauses} ")] if where is not None else None


def _short_form(text: str, operation: list[_Placed], where: int, clauses: str) -> _Edit | None:
    """``DELETE WHERE { quads }`` → ``DELETE       { quads } USING … WHERE { quads }``.

    The client's quads, read first by the parser, keep their lines and columns, so a syntax error in them
    is reported where the client wrote it. The WHERE copy after them is written on the closing brace's
    line (comments dropped, token spacing kept), so the lines after it keep their numbers too.
    """
    pattern = operation[where + 1 :]
    if not pattern or not _is(pattern[0][0], "{"):
        return None
    close = next((i for i, (token, depth) in enumerate(pattern) if i > 0 and depth == 0 and _is(token, "}")), None)
    if close is None:
        return None
    keyword, closing = operation[where][0], pattern[close][0]
    copy = _one_line(text, [token for token, _ in pattern[: close + 1]])
    return [
        (keyword.start, keyword.end, " " * len(keyword.text)),  # blanked, so the quads keep their columns
        (closing.end, closing.end, f" {clauses} WHERE {copy}"),
    ]


def _one_line(text: str, stream: Sequence[Token]) -> str:
    """The tokens as written, with whatever separated two of them (spaces, newlines, comments) as one space."""
    pieces = [stream[0].text]
    for previous, token in zip(stream, stream[1:]):
        if token.start > previous.end:
            pieces.append(" ")
        pieces.append(token.text)
    return "".join(pieces)


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in code points) of an offset, as the parser reports positions."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _word(token: Token | None) -> str | None:
    return token.text.upper() if token is not None and token.kind == "word" else None


def _is(token: Token, punct: str) -> bool:
    return token.kind == "punct" and token.text == punct
