"""portal.pdf: one helper draws every document, Chinese by default and English on the English site."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import translation

from certificates import labels
from portal.pdf import Document, wrap
from tests.pdftext import get_pdf_text, pdf_text

pytestmark = pytest.mark.django_db


def test_wrap_breaks_english_between_words_and_chinese_between_characters():
    english = wrap("Bring this voucher to the vehicle office before the deadline.", 10, 120)
    assert len(english) > 1 and all(not line.startswith(" ") for line in english)
    assert " ".join(english) == "Bring this voucher to the vehicle office before the deadline."
    chinese = wrap("请在截止日前携带本凭证、车辆及其资料到车辆管理所办理登记。", 10, 100)
    assert len(chinese) > 1 and "".join(chinese) == "请在截止日前携带本凭证、车辆及其资料到车辆管理所办理登记。"


def test_a_document_draws_its_labels_in_its_language():
    for language, label in (("zh-hans", "订单号："), ("en", "Order number:")):
        doc = Document("x", language=language)
        doc.rows([(translation.gettext_lazy("Order number"), "A1")])
        assert label in pdf_text(doc.render())


def test_the_payment_receipt_is_chinese_by_default_and_english_on_the_english_site(citizen_client, has, citizen):
    from tests.portal.test_payments import _start

    payment = _start(has, citizen)
    citizen_client.post(payment.cashier_url, {"action": "pay"})
    url = f"/pay/receipt/{payment.order_number}/pdf/"
    chinese = get_pdf_text(citizen_client, url)
    english = get_pdf_text(citizen_client, url, "en")
    assert "缴费凭证" in chinese and "金额：" in chinese and citizen.masked_id_number in chinese
    assert "payment receipt" in " ".join(english.split()) and "Amount:" in english and "金额" not in english
    assert citizen.id_number not in chinese + english


def test_address_labels_follow_the_language():
    shipment = SimpleNamespace(
        tracking_number="EA000000001CN",
        recipient_name="张伟",
        recipient_phone="13812340001",
        address="江苏省淮安市清江浦区健康东路 1 号",
        contents="行驶证",
        cod_amount=10,
        take_back_old_document=True,
    )
    rows = [(SimpleNamespace(number="C2026070100001"), shipment)]
    with translation.override("zh-hans"):
        chinese = pdf_text(labels.labels_pdf(rows, "淮安市车辆管理所"))
    english = pdf_text(labels.labels_pdf(rows, "Huai'an office", language="en"))
    assert "收件人：" in chinese and "寄件人：" in chinese and "收回旧证件" in chinese and "To" not in chinese
    assert "To:" in english and "From:" in english and "take back the old document" in english
    assert "江苏省淮安市" in chinese and "江苏省淮安市" in english
    assert datetime.date.today().isoformat()[:4] in english
