"""The text a portal.pdf document draws, read back from the PDF bytes (for tests).

reportlab writes each page as an ASCII85 + Flate stream, and text in the CID font as UTF-16BE
string literals shown with Tj; this reverses exactly that, no PDF library needed.
"""

import base64
import re
import zlib

from django.utils import translation

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    def one(match):
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8)])
        return _SIMPLE.get(code, code)

    return _ESCAPE.sub(one, literal)


def pdf_text(data: bytes) -> str:
    """Every string drawn in the document, one per line."""
    lines = []
    for match in _STREAM.finditer(data):
        body = match.group(1).strip()
        if body.endswith(b"~>"):
            body = base64.a85decode(body[:-2])
        try:
            body = zlib.decompress(body)
        except zlib.error:
            pass
        for shown in _SHOWN.finditer(body):
            raw = _unescape(shown.group(1))
            try:
                lines.append(raw.decode("utf-16-be"))
            except UnicodeDecodeError:
                lines.append(raw.decode("latin-1"))
    return "\n".join(lines)


def get_pdf_text(client, url, language: str | None = None) -> str:
    """The text of the PDF at `url`, asked for on the site in `language` (the language switch's
    cookie, as a visitor who chose English sends it); the site's default language otherwise."""
    if language:
        client.cookies["django_language"] = language
    # LocaleMiddleware leaves the request's language active in this thread: restore ours after.
    try:
        with translation.override(translation.get_language()):
            response = client.get(url)
    finally:
        client.cookies.pop("django_language", None)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf", response
    return pdf_text(response.content)
