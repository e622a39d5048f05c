"""Plate-number format of GA 36-2018 (docs/rules.md §2) and serial-range arithmetic. No I/O.

A serial is the part after the issuing prefix (苏H): 5 characters on ordinary plates (02),
6 on new-energy plates (51, 52). Characters are digits and letters without I and O.
"""

import re

from django.utils.translation import gettext as _

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# The order every range and picker uses: digits, then letters without I and O.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = ALPHABET[:10]
LETTERS = ALPHABET[10:]
ENERGY_LETTERS = "ABCDEFGHJK"

SMALL_CAR, LARGE_NEV, SMALL_NEV = "02", "51", "52"
PLATE_TYPES = (SMALL_CAR, SMALL_NEV, LARGE_NEV)
SERIAL_LENGTH = {SMALL_CAR: 5, SMALL_NEV: 6, LARGE_NEV: 6}
# An ordinary serial has at most 2 letters (GA 36; docs/rules.md §2).
MAX_LETTERS_ORDINARY = 2

_P = f"[{PROVINCES}]"
_FULL = {
    SMALL_CAR: re.compile(rf"^{_P}[A-HJ-NP-Z][A-HJ-NP-Z0-9]{{5}}$"),
    SMALL_NEV: re.compile(rf"^{_P}[A-HJ-NP-Z][{ENERGY_LETTERS}][A-HJ-NP-Z0-9][0-9]{{4}}$"),
    LARGE_NEV: re.compile(rf"^{_P}[A-HJ-NP-Z][0-9]{{5}}[{ENERGY_LETTERS}]$"),
}
# Characters each serial position may hold, per plate type.
_POSITION_CLASSES = {
    SMALL_CAR: [ALPHABET] * 5,
    SMALL_NEV: [ENERGY_LETTERS, ALPHABET, DIGITS, DIGITS, DIGITS, DIGITS],
    LARGE_NEV: [DIGITS] * 5 + [ENERGY_LETTERS],
}


def letters_in(serial: str) -> int:
    return sum(1 for c in serial if c in LETTERS)


def format_error(number: str, plate_type: str) -> str | None:
    """Why `number` (prefix included) is not a valid GA 36 number of this type, or None."""
    number = (number or "").strip().upper()
    if plate_type not in _FULL:
        return _("Online preselection is not available for this plate type.")
    if "I" in number[2:] or "O" in number[2:]:
        return _("Plate numbers never contain the letters I and O.")
    if not _FULL[plate_type].match(number):
        if plate_type == SMALL_CAR:
            return _("A small-car number is the city prefix and 5 letters or digits.")
        if plate_type == SMALL_NEV:
            return _(
                "A small new-energy number is the city prefix, an energy letter (D, F ...), a letter or digit and 4 digits."
            )
        return _("A large new-energy number is the city prefix, 5 digits and an energy letter (D, F ...).")
    if plate_type == SMALL_CAR and letters_in(number[2:]) > MAX_LETTERS_ORDINARY:
        return _("An ordinary plate number has at most 2 letters.")
    return None


def position_sets(plate_type: str, serial_from: str, serial_to: str) -> list[str]:
    """The characters each position takes in the block serial_from..serial_to.

    A block is the product of per-position ranges in ALPHABET order: A000A..C999Z is positions
    A-C, 0-9, 0-9, 0-9, A-Z (I and O never appear). Raises ValueError with a page message.
    """
    length = SERIAL_LENGTH.get(plate_type)
    if length is None:
        raise ValueError(_("Online preselection is not available for this plate type."))
    serial_from, serial_to = serial_from.strip().upper(), serial_to.strip().upper()
    if len(serial_from) != length or len(serial_to) != length:
        raise ValueError(_("Both ends of the range need %(n)d characters.") % {"n": length})
    sets = []
    for pos, (lo, hi) in enumerate(zip(serial_from, serial_to, strict=True)):
        if lo not in ALPHABET or hi not in ALPHABET:
            raise ValueError(
                _("Position %(pos)d uses a character plates never use (I, O or a symbol).") % {"pos": pos + 1}
            )
        a, b = ALPHABET.index(lo), ALPHABET.index(hi)
        if a > b:
            raise ValueError(_("Position %(pos)d: the range runs backwards.") % {"pos": pos + 1})
        allowed = "".join(c for c in ALPHABET[a : b + 1] if c in _POSITION_CLASSES[plate_type][pos])
        if not allowed:
            raise ValueError(
                _("Position %(pos)d: no character of this range is allowed on this plate type.") % {"pos": pos + 1}
            )
        sets.append(allowed)
    return sets


def range_size(plate_type: str, sets: list[str]) -> int:
    """How many valid serials the product of `sets` holds (letters capped on ordinary plates)."""
    # counts[k] = number of prefixes with k letters; capped DP keeps it exact without enumerating.
    counts = {0: 1}
    cap = MAX_LETTERS_ORDINARY if plate_type == SMALL_CAR else len(sets)
    for chars in sets:
        digits = sum(1 for c in chars if c in DIGITS)
        letters = len(chars) - digits
        nxt: dict[int, int] = {}
        for k, n in counts.items():
            if digits:
                nxt[k] = nxt.get(k, 0) + n * digits
            if letters and k + 1 <= cap:
                nxt[k + 1] = nxt.get(k + 1, 0) + n * letters
        counts = nxt
    return sum(counts.values())
