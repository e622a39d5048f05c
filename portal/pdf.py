"""Shared PDF helper: every printable document (receipts, vouchers, permits) is Chinese text."""

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

# reportlab's built-in CID font: Chinese without shipping a font file.
CHINESE_FONT = "STSong-Light"


def chinese_font() -> str:
    """Register the CID font once per process and return its name for canvas.setFont()."""
    if CHINESE_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CHINESE_FONT))
    return CHINESE_FONT
