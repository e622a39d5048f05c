"""Payment receipts as PDF, in Chinese, with reportlab's built-in CID font (no font files)."""

import io

from django.utils import timezone
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from portal.pdf import chinese_font


def receipt_pdf(payment, purpose_label: str) -> bytes:
    """A one-page receipt: who paid what for what, when, and the refunds. ID number masked."""
    font = chinese_font()
    buffer = io.BytesIO()
    width, height = landscape(A5)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"{payment.order_number}")
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, height - 20 * mm, f"{payment.city.name}公安局交通警察支队 缴费凭证")
    rows = [
        ("订单号", payment.order_number),
        ("缴费事项", f"{purpose_label}：{payment.description}"),
        ("缴费人", f"{payment.payer_name}（身份证号 {payment.masked_payer_id}）"),
        ("金额", f"人民币 {payment.amount} 元"),
        ("支付渠道", payment.gateway),
        ("交易流水号", payment.gateway_transaction_id or "-"),
        ("支付时间", timezone.localtime(payment.paid_at).strftime("%Y-%m-%d %H:%M:%S") if payment.paid_at else "-"),
        ("状态", str(payment.get_status_display())),
    ]
    if payment.refunded_amount:
        rows.append(("已退款", f"人民币 {payment.refunded_amount} 元"))
    pdf.setFont(font, 11)
    y = height - 38 * mm
    for label, value in rows:
        pdf.drawString(20 * mm, y, f"{label}：")
        pdf.drawString(48 * mm, y, str(value))
        y -= 8 * mm
    pdf.setFont(font, 8)
    pdf.drawString(
        20 * mm, 12 * mm, f"本凭证由互联网交通安全综合服务管理平台生成 {timezone.localtime():%Y-%m-%d %H:%M}"
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
