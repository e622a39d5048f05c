"""How many SMS parts a text costs (shown in the admin next to every SMS).

The rule (3GPP TS 23.038 / 23.040, what Chinese gateways bill by):
- text made only of GSM-7 characters: 160 characters in one message; a longer text is sent
  concatenated in parts of 153 (the user-data header takes 7 characters). Characters of the
  GSM-7 extension table (such as [ ] { } ~ and the euro sign) count as 2.
- anything else, including every Chinese character: UCS-2, 70 characters in one message;
  concatenated parts carry 67. Characters outside the Basic Multilingual Plane (emoji) take
  two UCS-2 units. The 【signature】 the gateway requires is part of the text and is counted.
"""

import math

_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def encoding(text: str) -> str:
    return "GSM-7" if all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in text) else "UCS-2"


def length_units(text: str) -> int:
    """Length in the units of the text's encoding (septets or UCS-2 code units)."""
    if encoding(text) == "GSM-7":
        return sum(2 if c in _GSM7_EXTENDED else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """Number of SMS parts needed for `text` (0 for an empty text)."""
    units = length_units(text)
    if units == 0:
        return 0
    single, part = (160, 153) if encoding(text) == "GSM-7" else (70, 67)
    return 1 if units <= single else math.ceil(units / part)
