"""Resident ID numbers and mobile numbers: validation, normalisation, masking, look-up keys.

ID numbers are sensitive personal information (PIPL art 28). They are encrypted at rest
(portal.idfields) and every query by ID number goes through id_key(), the keyed hash stored in
the *_hash column beside each encrypted one (docs/rules.md §1).
"""

import datetime
import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: ISO 7064 MOD 11-2 check character.
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK = "10X98765432"
# ASCII digits only: Python's \d also matches Arabic-Indic and other Unicode digits, which
# int() reads as numbers, so "٣٢٠٨..." would pass as a second spelling of one ID number.
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")

# docs/rules.md §7: SMS-capable mainland segments (no 13-digit IoT numbers, no 154).
_MOBILE_RE = re.compile(
    r"^1(?:3\d{3}|4[57]\d{2}|5[^4\D]\d{2}|8\d{3}|7(?:[0-35-9]\d{2}|4(?:0\d|1[0-2]|9\d))"
    r"|9[0-35-9]\d{2}|6[2567]\d{2}|4[579]\d{2})\d{6}$",
    re.ASCII,
)


def nfkc(value) -> str:
    """Unicode NFKC: full-width digits and letters (３２０８, １３８, ｘ) become their ASCII forms, so
    one ID number or mobile has one spelling for validation, uniqueness and every limit."""
    return unicodedata.normalize("NFKC", value if isinstance(value, str) else str(value or ""))


def normalize_id_number(value: str) -> str:
    return nfkc(value).strip().upper()


def id_check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> str:
    """Return the normalised ID number or raise ValidationError with a message for the page."""
    value = normalize_id_number(value)
    if len(value) == 15:
        raise ValidationError(
            _("15-digit ID numbers are no longer accepted; enter your 18-digit number."), code="id_old"
        )
    if not _ID_RE.match(value):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a final digit or X."), code="id_format")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date inside this ID number is not a real date."), code="id_birth") from None
    if birth > timezone.localdate() or birth.year < 1800:
        raise ValidationError(_("The birth date inside this ID number is not possible."), code="id_birth")
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(_("This ID number's check digit is wrong; please check what you typed."), code="id_check")
    return value


def birth_date(id_number: str) -> datetime.date:
    return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def normalize_mobile(value: str) -> str:
    value = re.sub(r"[\s-]", "", nfkc(value))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    return value


def validate_mobile(value: str) -> str:
    value = normalize_mobile(value)
    if not _MOBILE_RE.match(value):
        raise ValidationError(
            _("Enter a mainland China mobile number that can receive SMS (11 digits)."), code="mobile"
        )
    return value


def id_key(id_number: str) -> str:
    """The look-up key of an ID number: HMAC-SHA256 under settings.ID_HASH_KEY of its normalised
    form (so ３２０８… and 3208… give one key), "" for none. Stored in every *_hash column
    (portal.idfields.IdHashField) and the only thing queries compare: the ciphertext beside it is
    randomised, and an unkeyed hash of 18 digits with a checksum is reversed by enumeration."""
    value = normalize_id_number(id_number)
    if not value:
        return ""
    return hmac.new(settings.ID_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def limit_key(value: str) -> str:
    """A keyed hash of an ID number or mobile for rate-limit and quota keys: the same person gives
    the same key, and neither Redis nor the quota table holds the number itself."""
    return hmac.new(settings.SECRET_KEY.encode(), f"limit:{value}".encode(), hashlib.sha256).hexdigest()[:40]


def looks_like_id_number(login: str) -> bool:
    """A login typed as an ID number (18 characters once normalised) rather than a mobile."""
    return len(normalize_id_number(login)) == 18


def mask_id_number(value: str) -> str:
    if not value or len(value) < 8:
        return "*" * len(value or "")
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_mobile(value: str) -> str:
    if not value or len(value) < 7:
        return "*" * len(value or "")
    return value[:3] + "****" + value[-4:]


def make_id_number(region: str, birth: datetime.date, sequence: int) -> str:
    """Build a valid ID number (demo data and tests)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)
