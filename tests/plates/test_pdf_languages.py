"""The voucher PDF is Chinese by default and English on the English site (portal.pdf)."""

import datetime

import pytest
from django.urls import reverse

from tests.pdftext import get_pdf_text
from tests.plates.test_hold import hold_on

pytestmark = pytest.mark.django_db


def test_voucher_pdf_follows_the_page_language(citizen_client, citizen, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    url = reverse("plates:voucher_pdf", args=[hold.pk])
    chinese = get_pdf_text(citizen_client, url)
    english = get_pdf_text(citizen_client, url, "en")
    assert "机动车号牌预选凭证" in chinese and "车辆识别代号：" in chinese and hold.number.number in chinese
    assert "Plate-number preselection voucher" in english and "VIN:" in english and "凭证" not in english
    assert citizen.id_number not in chinese + english
