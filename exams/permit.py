"""The electronic learner permit (学习驾驶证明) as a printable PDF (R-DL art 40)."""

import io

from reportlab.lib.pagesizes import A5, landscape
from reportlab.pdfgen import canvas

from portal.pdf import chinese_font


def render(record) -> bytes:
    font = chinese_font()
    buffer = io.BytesIO()
    width, height = landscape(A5)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"学习驾驶证明 {record.permit_number}")
    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, height - 60, "机动车驾驶人学习驾驶证明")
    pdf.setFont(font, 12)
    lines = [
        ("证明编号", record.permit_number),
        ("姓名", record.name),
        ("身份证明号码", record.masked_id_number),
        ("准驾车型", record.licence_class),
        ("发证机关", f"{record.city.name}公安局交通警察支队车辆管理所"),
        ("签发日期", record.permit_issued_on.isoformat()),
        ("有效期至", record.permit_valid_until.isoformat()),
    ]
    y = height - 110
    for label, value in lines:
        pdf.drawString(70, y, f"{label}：")
        pdf.drawString(190, y, str(value))
        y -= 26
    pdf.setFont(font, 9)
    pdf.drawString(70, 40, "学习驾驶证明在有效期内可用于道路学习驾驶；科目二、科目三须在有效期内考试合格。")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
