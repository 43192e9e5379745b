"""Decoding ``application/x-www-form-urlencoded`` bodies, quickly.

A query posted as a form is mostly percent-escapes when it carries Chinese text (nine bytes per
character), and the standard library decodes escapes in a Python loop. Here each ``%XX`` becomes
``\\xXX`` and the C escape decoder does the work, much faster (see docs/benchmarks.md); anything it rejects (a ``%`` not
followed by two hex digits) goes the standard library's lenient way. Values must be valid UTF-8: a
replacement character would change the query the client sent, so invalid bytes are a 400.
"""

from __future__ import annotations

import codecs
from urllib.parse import unquote_to_bytes

from werkzeug.datastructures import MultiDict

from .errors import HttpError


def parse_form(body: bytes, where: str = "the form") -> MultiDict:
    """The fields of a form (or of a URL's query string); a 400 naming ``where`` for invalid UTF-8."""
    fields: MultiDict = MultiDict()
    try:
        for pair in body.split(b"&"):
            if pair:
                name, _, value = pair.partition(b"=")
                fields.add(unquote_plus(name), unquote_plus(value))
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"{where} is not valid UTF-8 once its %-escapes are decoded ({exc.reason})") from None
    return fields


def unquote_plus(data: bytes) -> str:
    data = data.replace(b"+", b" ")
    if b"%" in data:
        try:
            # backslashes doubled first, so only the escapes made from % are decoded
            data = codecs.escape_decode(data.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
        except ValueError:
            data = unquote_to_bytes(data)
    return data.decode("utf-8")
