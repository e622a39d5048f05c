"""Forms are rendered through crispy forms (docs/architecture.md "Forms and accessibility"); the few
controls still written by hand in a template each carry a label a screen reader announces."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)
# Controls that stay hand-written, and why: table rows of checkboxes (one per record or notice),
# the rush page's 30 plate pickers (crispy renders them ~5x slower), the per-number code box, and
# Django admin pages, which keep the admin's own look.
HAND_WRITTEN = {
    "violations/start.html",
    "plates/compose.html",
    "plates/confirm.html",
}


def _visible_controls(text):
    for match in CONTROL.finditer(text):
        attrs = match.group(2)
        if re.search(r'type="(hidden|submit)"', attrs):
            continue
        yield match.group(0), attrs


def test_citizen_pages_hand_write_no_form_controls_outside_the_listed_exceptions():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if "/admin/" in f"/{name}" or name in HAND_WRITTEN:
            continue
        # A read-only box that shows a link to copy is output, not a form field.
        offenders += [f"{name}: {tag}" for tag, attrs in _visible_controls(path.read_text()) if "readonly" not in attrs]
    assert offenders == [], "render these through crispy forms:\n" + "\n".join(offenders)


def test_every_hand_written_control_has_a_label():
    unlabelled = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        labels_for = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', text))
        for tag, attrs in _visible_controls(text):
            id_match = re.search(r'\bid="([^"]+)"', attrs)
            if "aria-label=" in attrs or "aria-labelledby=" in attrs or (id_match and id_match.group(1) in labels_for):
                continue
            unlabelled.append(f"{path.relative_to(TEMPLATES)}: {tag}")
    assert unlabelled == [], "give these a <label for> or an aria-label:\n" + "\n".join(unlabelled)
