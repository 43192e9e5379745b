"""The fast form decoder agrees with the standard library, including on malformed escapes."""

from urllib.parse import parse_qsl, urlencode

import pytest

from zgckg.web.errors import HttpError
from zgckg.web.forms import parse_form, unquote_plus


@pytest.mark.parametrize(
    "value",
    ['SELECT * { ?s rdfs:label "海淀园"@zh }', "a+b=c&d", "back\\slash \\x41 \\n", "100% sure", "", "é ü ß"],
    ids=["chinese", "reserved-characters", "backslashes", "percent-sign", "empty", "latin"],
)
def test_round_trip_of_encoded_values(value):
    assert parse_form(urlencode({"query": value, "format": "json"}).encode()).to_dict(flat=False) == {
        "query": [value], "format": ["json"]}


@pytest.mark.parametrize("raw", [b"50%", b"%zz", b"%4", b"a%%41", b"plus+sign"],
                         ids=["trailing-percent", "not-hex", "short", "double-percent", "plus"])
def test_malformed_escapes_decode_as_the_standard_library_does(raw):
    expected = parse_qsl("v=" + raw.decode("ascii"), keep_blank_values=True, errors="strict")[0][1]
    assert unquote_plus(raw) == expected


@pytest.mark.parametrize("raw", [b"query=%E6%B5", b"query=%FF", b"q%FF=1", b"query=\xff"],
                         ids=["cut-utf8", "invalid-utf8", "invalid-utf8-name", "raw-invalid-byte"])
def test_invalid_utf8_is_a_400_naming_where(raw):
    with pytest.raises(HttpError) as refused:
        parse_form(raw, "the form")
    assert refused.value.status == 400 and "the form is not valid UTF-8" in str(refused.value)


def test_repeated_and_valueless_fields():
    assert parse_form(b"a=1&&a=2&b").to_dict(flat=False) == {"a": ["1", "2"], "b": [""]}
