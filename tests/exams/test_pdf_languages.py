"""The learner permit PDF is Chinese by default and English on the English site (portal.pdf)."""

import datetime

import pytest

from tests.pdftext import get_pdf_text

pytestmark = pytest.mark.django_db


def test_permit_pdf_follows_the_page_language(make_learner, has_client):
    user, record = make_learner("C1", permit_on=datetime.date(2026, 6, 1))
    has_client.force_login(user)
    chinese = get_pdf_text(has_client, "/exams/permit.pdf")
    english = get_pdf_text(has_client, "/exams/permit.pdf", "en")
    assert "机动车驾驶人学习驾驶证明" in chinese and "证明编号：" in chinese and record.permit_number in chinese
    assert "learner driving permit" in english and "Permit number:" in english and "证明" not in english
    assert user.id_number not in chinese + english
