"""The penalty decision PDF is Chinese by default and English on the English site (portal.pdf)."""

import pytest

from tests.pdftext import get_pdf_text
from tests.violations.conftest import D, at, on
from violations import services

pytestmark = pytest.mark.django_db


def test_decision_pdf_follows_the_page_language(client, person, car, record):
    owner = person()
    with on(D(2026, 7, 2)):
        (decision,) = services.violation_handle([record(car(owner), when=at(D(2026, 7, 1))).pk], user=owner)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    url = f"/violations/decision/{decision.number}/pdf/"
    chinese = get_pdf_text(client, url)
    english = get_pdf_text(client, url, "en")
    assert "处罚决定书" in chinese and "罚款：" in chinese and decision.number in chinese
    assert "Decision on administrative penalty" in " ".join(english.split()) and "Fine:" in english
    assert "决定书" not in english
    assert owner.id_number not in chinese + english
