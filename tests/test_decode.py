"""decode(): bytes, str or soup → clean text (BOM → UTF-8 → declared → detected → cp1252)."""

from __future__ import annotations

import codecs

import pytest
from bs4 import BeautifulSoup

import boilerplate.decode as decode_module
from boilerplate.decode import declared_charset, decode
from boilerplate.errors import BoilerplateError, InputError

CAFE_PAGE = "<html><body><p>The café on the corner</p></body></html>"


# --- byte-order marks -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_bom_selects_the_encoding_and_is_removed(bom: bytes, codec: str) -> None:
    assert decode(bom + CAFE_PAGE.encode(codec)) == CAFE_PAGE


def test_python_utf16_codec_output_with_its_bom() -> None:
    assert decode(CAFE_PAGE.encode("utf-16")) == CAFE_PAGE


def test_bom_wins_over_a_contradicting_declaration() -> None:
    page = '<meta charset="windows-1252"><p>BOM says UTF-8: café</p>'
    assert decode(codecs.BOM_UTF8 + page.encode("utf-8")) == page


# --- declared charsets ------------------------------------------------------------------

def test_meta_charset_windows_1252() -> None:
    data = b'<html><head><meta charset="windows-1252"></head><body><p>caf\xe9 \x93quoted\x94</p></body></html>'
    text = decode(data)
    assert "<p>café “quoted”</p>" in text


def test_http_equiv_content_type_charset() -> None:
    data = (
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        b"</head><body><p>caf\xe9 by http-equiv</p></body></html>"
    )
    assert declared_charset(data) == "cp1252"
    assert "<p>café by http-equiv</p>" in decode(data)


def test_xml_declaration_encoding() -> None:
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?><html><body><p>caf\xe9 in XHTML</p></body></html>'
    assert "café in XHTML" in decode(data)


def test_declared_latin1_but_valid_utf8_decodes_as_utf8() -> None:
    page = '<meta charset="iso-8859-1"><p>declared Latin-1, really UTF-8: café naïve</p>'
    assert decode(page.encode("utf-8")) == page


def test_shift_jis_page_with_declaration() -> None:
    page = '<html><head><meta charset="Shift_JIS"></head><body><p>日本語のテキストです。東京の港。</p></body></html>'
    data = page.encode("shift_jis")
    assert declared_charset(data) == "shift_jis"
    assert decode(data) == page


def test_gb2312_declaration_decodes_gb18030_bytes() -> None:
    page = '<html><head><meta charset="gb2312"></head><body><p>这是一个中文段落，关于港口。</p></body></html>'
    data = page.encode("gb18030")
    assert declared_charset(data) == "gb18030"
    assert decode(data) == page


def test_unknown_declared_label_is_ignored() -> None:
    assert declared_charset(b'<meta charset="no-such-charset"><p>x</p>') is None
    assert declared_charset(b"<p>no declaration at all</p>") is None


def test_lying_declaration_falls_through_without_crashing() -> None:
    # Declares shift_jis, but the bytes are cp1252 and not valid Shift_JIS.
    data = b'<meta charset="shift_jis"><p>The caf\xe9 declared Shift_JIS but written in cp1252 \xff\xff</p>'
    text = decode(data)
    assert isinstance(text, str)
    assert "declared Shift_JIS but written in cp1252" in text


def test_undeclared_cp1252_bytes_give_reasonable_text() -> None:
    data = (
        b"<html><body><p>The caf\xe9 serves cr\xe8me br\xfbl\xe9e and \x93fresh\x94 bread "
        b"every morning.</p></body></html>"
    )
    text = decode(data)
    assert isinstance(text, str)
    assert "\ufffd" not in text
    assert "The café serves" in text
    assert "bread every morning.</p></body></html>" in text


# --- control characters -----------------------------------------------------------------

def test_nul_and_c0_controls_are_removed_but_tab_newline_cr_kept() -> None:
    raw = "a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh\ti\nj\rk"
    assert decode(raw) == "abcdefgh\ti\nj\rk"


def test_controls_removed_from_bytes_too() -> None:
    assert decode(b"<p>nul\x00 and bell\x07 removed</p>") == "<p>nul and bell removed</p>"


def test_lone_surrogates_and_noncharacters_removed_from_str() -> None:
    assert decode("a\ud800b\uffffc\ufffed") == "abcd"


# --- input types ------------------------------------------------------------------------

def test_str_passes_through_unchanged() -> None:
    page = "<p>plain str input, café, 日本語</p>"
    assert decode(page) == page


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_bytes_like_inputs(wrap) -> None:
    assert decode(wrap(CAFE_PAGE.encode("utf-8"))) == CAFE_PAGE


def test_beautifulsoup_document_accepted() -> None:
    soup = BeautifulSoup("<html><body><p>text from a soup object</p></body></html>", "html.parser")
    assert "<p>text from a soup object</p>" in decode(soup)


def test_beautifulsoup_tag_accepted() -> None:
    soup = BeautifulSoup("<div><p>text from a soup tag</p></div>", "html.parser")
    assert decode(soup.p) == "<p>text from a soup tag</p>"


@pytest.mark.parametrize("bad", [42, None, ["<p>a list</p>"], 1.5, {"html": "<p>"}])
def test_wrong_type_raises_input_error(bad) -> None:
    with pytest.raises(InputError) as info:
        decode(bad)
    assert type(bad).__name__ in str(info.value)
    assert isinstance(info.value, BoilerplateError)
    assert isinstance(info.value, ValueError)


# --- MAX_INPUT_BYTES --------------------------------------------------------------------

@pytest.mark.parametrize(("length", "kept"), [(9, 9), (10, 10), (11, 10)])
def test_bytes_truncated_at_max_input_bytes(monkeypatch, length: int, kept: int) -> None:
    monkeypatch.setattr(decode_module, "MAX_INPUT_BYTES", 10)
    data = b"abcdefghijklmnop"[:length]
    assert decode(data) == data[:kept].decode()


@pytest.mark.parametrize(("length", "kept"), [(9, 9), (10, 10), (11, 10)])
def test_str_truncated_at_max_input_bytes(monkeypatch, length: int, kept: int) -> None:
    monkeypatch.setattr(decode_module, "MAX_INPUT_BYTES", 10)
    assert decode("abcdefghijklmnop"[:length]) == "abcdefghijklmnop"[:kept]


def test_soup_truncated_at_max_input_bytes(monkeypatch) -> None:
    monkeypatch.setattr(decode_module, "MAX_INPUT_BYTES", 10)
    soup = BeautifulSoup("<p>a long soup paragraph</p>", "html.parser")
    assert decode(soup) == "<p>a long "


def test_utf8_truncated_mid_character_keeps_the_valid_prefix(monkeypatch) -> None:
    page = "<p>Größenordnung für Straße und Übermaß</p>".encode()
    cut = page.index("Ü".encode()) + 1  # one byte into the two-byte "Ü"
    monkeypatch.setattr(decode_module, "MAX_INPUT_BYTES", cut)
    assert decode(page).startswith("<p>Größenordnung für Straße und ")
