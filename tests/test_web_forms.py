"""The fast form decoder agrees with the standard library, including on malformed escapes."""

from urllib.parse import parse_qsl, urlencode

import pytest

from zgckg.web.forms import parse_form, unquote_plus


@pytest.mark.parametrize(
    "value",
    ['SELECT * { ?s rdfs:label "海淀园"@zh }', "a+b=c&d", "back\\slash \\x41 \\n", "100% sure", "", "é ü ß"],
    ids=["chinese", "reserved-characters", "backslashes", "percent-sign", "empty", "latin"],
)
def test_round_trip_of_encoded_values(value):
    assert parse_form(urlencode({"query": value, "format": "json"}).encode()).to_dict(flat=False) == {
        "query": [value], "format": ["json"]}


@pytest.mark.parametrize("raw", [b"50%", b"%zz", b"%4", b"a%%41", b"%E6%B5", b"plus+sign", b"%FF"],
                         ids=["trailing-percent", "not-hex", "short", "double-percent", "cut-utf8", "plus",
                              "invalid-utf8"])
def test_malformed_escapes_decode_as_the_standard_library_does(raw):
    expected = parse_qsl("v=" + raw.decode("ascii"), keep_blank_values=True, errors="replace")[0][1]
    assert unquote_plus(raw) == expected


def test_repeated_and_valueless_fields():
    assert parse_form(b"a=1&&a=2&b").to_dict(flat=False) == {"a": ["1", "2"], "b": [""]}
