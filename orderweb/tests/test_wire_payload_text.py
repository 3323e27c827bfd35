import json
import math

import pytest

from orderweb.simulator.data import nested
from orderweb.utils import _json_text_flat, json_text, pretty_json, storable_text


@pytest.mark.parametrize("value", [
    {"customerName": "Zoe \ud83d", "note": "nul\x00inside"},
    {"name": "ñandú 😀", "items": [1, 2.5, None, True, {"a": []}], "empty": {}},
    ["\udc00", -0.0, 10 ** 400, 1e308],
    "plain",
])
def test_json_text_is_utf8_and_reads_back_exactly(value):
    text = json_text(value)
    text.encode("utf-8")  # what PostgreSQL needs
    assert "\x00" not in text
    assert json.loads(text) == value


def test_json_text_keeps_readable_text_readable():
    assert json_text({"name": "ñandú"}) == '{"name": "ñandú"}'


def test_json_text_any_depth():
    value = {"orderId": "deep", "extra": nested(20_000), "n": float("nan")}
    text = json_text(value)
    assert text.startswith('{"orderId": "deep", "extra": [[[') and text.endswith(']]], "n": NaN}')
    assert text.count("[") == 20_000
    shallow = {"a": [1, {"b": "\ud83d", 1: None}], "n": math.inf}
    assert _json_text_flat(shallow) == json.dumps(shallow)


def test_storable_text():
    assert storable_text("Zoe \ud83d\x00!") == "Zoe \ufffd\ufffd!"


def test_pretty_json_is_bounded_and_says_so():
    text, cut = pretty_json({"a": nested(50), "b": "Zoe \ud83d"}, 5)
    assert cut and "[…]" in text and len(text) < 500
    assert '"b": "Zoe \\ud83d"' in text
    text.encode("utf-8")
    assert pretty_json({"a": [1, 2]}, 5) == ('{\n  "a": [\n    1,\n    2\n  ]\n}', False)
