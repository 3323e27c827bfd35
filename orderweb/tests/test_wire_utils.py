import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderweb.const import SIMULATOR_API_KEY
from orderweb.utils import (
    check_tenant,
    endpoints,
    folded_text,
    is_storable_text,
    json_text,
    mask_key,
    server_identity,
    ws_url,
)


@pytest.mark.parametrize("base_url, expected", [
    ("wss://orderweb.net", ("wss://orderweb.net", "https://orderweb.net")),
    ("https://orderweb.net", ("wss://orderweb.net", "https://orderweb.net")),
    ("https://orderweb.net/", ("wss://orderweb.net", "https://orderweb.net")),
    ("HTTPS://OrderWeb.NET", ("wss://orderweb.net", "https://orderweb.net")),
    ("http://127.0.0.1:9011", ("ws://127.0.0.1:9011", "http://127.0.0.1:9011")),
    ("ws://localhost:9011", ("ws://localhost:9011", "http://localhost:9011")),
    ("  wss://orderweb.net:8443  ", ("wss://orderweb.net:8443", "https://orderweb.net:8443")),
    ("http://[::1]:9011", ("ws://[::1]:9011", "http://[::1]:9011")),
])
def test_endpoints_derives_both_schemes(base_url, expected):
    assert endpoints(base_url) == expected


@pytest.mark.parametrize("base_url, complaint", [
    ("", "empty"),
    (None, "empty"),
    ("orderweb.net", "must start with"),
    ("ftp://orderweb.net", "must start with"),
    ("https://", "no host"),
    ("https://orderweb.net/ws/pos/kitchen", "without a path"),
    ("https://orderweb.net?tenant=kitchen", "without a path"),
    ("https://orderweb.net#x", "without a path"),
    ("https://orderweb.net?", "without a path"),
    ("https://user:secret@orderweb.net", "credentials"),
    ("http://127.0.0.1:99999", "not a valid URL"),
])
def test_endpoints_refuses_anything_else_clearly(base_url, complaint):
    with pytest.raises(ValueError, match=complaint):
        endpoints(base_url)


def test_ws_url_quotes_the_tenant():
    assert ws_url("wss://orderweb.net", "kitchen") == "wss://orderweb.net/ws/pos/kitchen"
    assert ws_url("ws://h", "a?b") == "ws://h/ws/pos/a%3Fb"


@pytest.mark.parametrize("tenant", ["", "  ", " kitchen", "a/b", None])
def test_check_tenant_refuses_unusable_slugs(tenant):
    with pytest.raises(ValueError):
        check_tenant(tenant)


@pytest.mark.parametrize("key, masked", [
    (SIMULATOR_API_KEY, "pos_…beef"),
    ("pos_" + "ab" * 31 + "0c2f", "pos_…0c2f"),
    ("sk_live_0123456789abcdef", "…cdef"),
    ("pos_short", "****"),
    ("", "(no key)"),
    (None, "(no key)"),
])
def test_mask_key_never_shows_the_key(key, masked):
    assert mask_key(key) == masked
    if key:
        assert key not in mask_key(key)


@pytest.mark.parametrize("spellings, identity", [
    (("http://127.0.0.1:9011", "ws://127.0.0.1:9011/", "HTTP://LOCALHOST:9011", "ws://[::1]:9011",
      "http://localhost.:9011"), "localhost:9011"),
    (("https://orderweb.net", "wss://OrderWeb.NET:443", "https://orderweb.net:443/", "wss://orderweb.net."),
     "orderweb.net:443"),
    (("http://localhost", "ws://127.0.0.1:80"), "localhost:80"),
    (("https://[2001:DB8::1]", "wss://[2001:db8::1]:443"), "[2001:db8::1]:443"),
])
def test_server_identity_ignores_the_spelling(spellings, identity):
    assert {server_identity(url) for url in spellings} == {identity}


def test_server_identity_tells_servers_apart():
    assert server_identity("https://orderweb.net") != server_identity("https://orderweb.net:8443")
    assert server_identity("https://orderweb.net") != server_identity("https://eu.orderweb.net")
    with pytest.raises(ValueError):
        server_identity("ftp://orderweb.net")
def test_json_text_escapes_what_postgresql_refuses():
    raw = {"customerName": "Zoe \ud83d", "orderId": "a\x00b", "note": "é ✓"}
    text = json_text(raw)
    assert text == '{"customerName": "Zoe \\ud83d", "orderId": "a\\u0000b", "note": "\\u00e9 \\u2713"}'
    assert text.encode("utf-8") and json.loads(text) == raw


@pytest.mark.parametrize("text, storable", [
    ("Zoe", True), ("é ✓ 🍔", True), ("", True), ("a\x00b", False), ("Zoe \ud83d", False), ("\udc00", False),
])
def test_is_storable_text(text, storable):
    assert is_storable_text(text) is storable


@pytest.mark.parametrize("written, folded", [
    ("Cœliac", "coeliac"), ("CŒLIAC", "coeliac"), ("Cæsar", "caesar"), ("Çéleri", "celeri"),
    ("ﬁsh", "fish"), ("ＰＥＡＮＵＴ", "peanut"), ("Soja\u0301", "soja"), ("Epi\u2011Pen", "epi-pen"),
    ("milk\n\t intolerance", "milk intolerance"), ("Sulphite", "sulphite"),
])
def test_folded_text_compares_words_as_written(written, folded):
    assert folded_text(written) == folded


@given(st.text())
def test_folded_text_is_stable_and_blind_to_case_and_composition(text):
    folded = folded_text(text)
    assert folded_text(folded) == folded
    assert folded_text(unicodedata.normalize("NFD", text)) == folded == folded_text(unicodedata.normalize("NFC", text))
    assert folded_text(text.upper()) == folded_text(text.lower()) or not text.isascii()
