"""The catalogue of notice kinds. Each app registers its own kinds in AppConfig.ready().

Title and body are lazily translated templates with {placeholders} filled from the notice's
context, so every notice can be shown in the reader's language.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NoticeKind:
    code: str
    title: str
    body: str
    # Legal notices (R-PROC art 20, R-SCRAP, lapse and ban) cannot be switched off.
    mandatory: bool = False
    # Urgent SMS are sent at once; others wait for the end of quiet hours.
    urgent: bool = False
    sms: bool = True
    push: bool = True
    # What the preferences page calls this kind (default: the title without its placeholders).
    label: str | None = None


_KINDS: dict[str, NoticeKind] = {}


def register(code, *, title, body, mandatory=False, urgent=False, sms=True, push=True, label=None) -> NoticeKind:
    kind = NoticeKind(code, title, body, mandatory, urgent, sms, push, label)
    _KINDS[code] = kind
    return kind


def get(code: str) -> NoticeKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"Unknown notice kind {code!r}: register it in its app's AppConfig.ready()") from None


def all_kinds() -> dict[str, NoticeKind]:
    return dict(_KINDS)


class _SafeDict(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def render(template, context: dict) -> str:
    return str(template).format_map(_SafeDict(context or {}))


def label(kind: NoticeKind) -> str:
    if kind.label:
        return str(kind.label)
    return re.sub(r"\s*\{[a-z_]+\}\s*", " … ", str(kind.title)).strip()
