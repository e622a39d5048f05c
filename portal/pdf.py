"""The one PDF helper (docs/architecture.md "PDF documents"): receipts, vouchers, permits,
decisions, certificates and labels are all drawn through `Document`.

Labels are gettext strings, so a document is Chinese by default and English when the page's
language is English: callers translate in the active language (set by LocaleMiddleware on a
request) or pass `language=` to `Document`. reportlab's built-in CID font draws both scripts
without shipping a font file.
"""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CHINESE_FONT = "STSong-Light"


def chinese_font() -> str:
    """Register the CID font once per process and return its name for canvas.setFont()."""
    if CHINESE_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CHINESE_FONT))
    return CHINESE_FONT


def wrap(text: str, size: float, max_width: float, font: str | None = None) -> list[str]:
    """Lines of `text` that fit `max_width` points: English breaks between words, Chinese between
    characters (it has no spaces), measured with the font's real widths."""
    font = font or chinese_font()
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if line and pdfmetrics.stringWidth(candidate.rstrip(), font, size) > max_width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


def _tokens(text: str):
    """Words with their trailing space for Latin text, single characters for CJK text."""
    word = ""
    for char in text:
        if ord(char) > 0x2E7F:  # CJK and full-width punctuation: a line may break after any of them
            if word:
                yield word
                word = ""
            yield char
        elif char == " ":
            yield word + " "
            word = ""
        else:
            word += char
    if word:
        yield word


class Document:
    """A printable document written top to bottom: title, labelled rows, paragraphs, footer.

    `Document(title, pagesize=A5, language="en")`; then `.title()`, `.big()`, `.rows()`,
    `.paragraph()`, `.footer()`, and `.render()` for the bytes. Free layouts (the labels' grid)
    draw with `.text(x, y, ...)` and `.canvas`. Everything given as a lazy or gettext string is
    rendered in the document's language.
    """

    def __init__(self, title, *, pagesize=A4, margin=18 * mm, language: str | None = None):
        self.language = language or translation.get_language() or "zh-hans"
        self.font = chinese_font()
        self.width, self.height = pagesize
        self.margin = margin
        self.y = self.height - margin
        self._buffer = io.BytesIO()
        self.canvas = canvas.Canvas(self._buffer, pagesize=pagesize)
        with self.translated():
            self.canvas.setTitle(str(title))

    def translated(self):
        """Context manager: gettext in the document's language."""
        return translation.override(self.language)

    @property
    def chinese(self) -> bool:
        return self.language.startswith("zh")

    def label(self, text) -> str:
        """A row label with the colon of its language (full-width in Chinese)."""
        with self.translated():
            return f"{text}{'：' if self.chinese else ':'}"

    def text(self, x: float, y: float, text, size: float = 11) -> None:
        with self.translated():
            self.canvas.setFont(self.font, size)
            self.canvas.drawString(x, y, str(text))

    def space(self, amount: float) -> None:
        self.y -= amount

    def title(self, text, size: float = 16, leading: float = 8 * mm) -> None:
        """Centred heading, wrapped to the page width."""
        with self.translated():
            self.canvas.setFont(self.font, size)
            for line in wrap(str(text), size, self.width - 2 * self.margin, self.font):
                self.y -= leading
                self.canvas.drawCentredString(self.width / 2, self.y, line)

    def big(self, text, size: float = 30, leading: float = 18 * mm) -> None:
        """One centred line in large type (a plate number)."""
        self.y -= leading
        self.canvas.setFont(self.font, size)
        self.canvas.drawCentredString(self.width / 2, self.y, str(text))

    def rows(self, rows, *, size: float = 11, label_width: float = 37 * mm, leading: float = 8 * mm) -> None:
        """(label, value) pairs: the label on the left, the value wrapped in the space to its right."""
        with self.translated():
            self.canvas.setFont(self.font, size)
            value_x = self.margin + label_width
            for label, value in rows:
                self.y -= leading
                self.canvas.drawString(self.margin, self.y, self.label(label))
                lines = wrap(str(value), size, self.width - self.margin - value_x, self.font)
                for index, line in enumerate(lines):
                    if index:
                        self.y -= size * 1.4
                    self.canvas.drawString(value_x, self.y, line)

    def paragraph(self, text, *, size: float = 10, before: float = 4 * mm) -> None:
        with self.translated():
            self.y -= before
            self.canvas.setFont(self.font, size)
            for line in wrap(str(text), size, self.width - 2 * self.margin, self.font):
                self.y -= size * 1.5
                self.canvas.drawString(self.margin, self.y, line)

    def footer(self, text=None, *, size: float = 8) -> None:
        """A line at the foot of the page; by default who generated the document and when."""
        with self.translated():
            if text is None:
                text = _("Generated by the Internet traffic safety service platform")
            self.text(self.margin, 12 * mm, f"{text} {timezone.localtime():%Y-%m-%d %H:%M}", size)

    def new_page(self) -> None:
        self.canvas.showPage()
        self.y = self.height - self.margin

    def render(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self._buffer.getvalue()
