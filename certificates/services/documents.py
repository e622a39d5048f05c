"""Electronic documents (R-REG arts 51-57, R-DL art 61: equal force to paper; docs/rules.md §4.6) and their QR codes."""

from django.utils import timezone

from certificates.models import Application, ElectronicDocument


def _masked(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if name else ""


def documents_void_for(*, vehicle=None, licence=None, kind=None) -> int:
    """Void every live electronic document of a vehicle or licence (it was replaced)."""
    qs = ElectronicDocument.objects.filter(voided_at__isnull=True)
    qs = qs.filter(vehicle=vehicle) if vehicle is not None else qs.filter(licence=licence)
    if kind:
        qs = qs.filter(kind=kind)
    count = 0
    for document in qs.select_for_update():
        document.voided_at = timezone.now()
        document._change_reason = "replaced"
        document.save(update_fields=["voided_at"])
        count += 1
    return count


def document_issue(application: Application, *, vehicle=None, licence=None) -> ElectronicDocument:
    """Issue the electronic document of a produced case; the one it replaces stops verifying."""
    if licence is not None:
        kind = ElectronicDocument.Kind.DRIVING_LICENCE
        documents_void_for(licence=licence, kind=kind)
        fields = {
            "licence": licence,
            "masked_name": _masked(licence.holder_name),
            "subject": licence.licence_class,
            "valid_from": licence.valid_from,
            "valid_until": licence.valid_until,
        }
    else:
        kind = ElectronicDocument.Kind.INSPECTION_MARK
        documents_void_for(vehicle=vehicle, kind=kind)
        plate = vehicle.plate_number or ""
        fields = {
            "vehicle": vehicle,
            "masked_name": _masked(vehicle.owner_name),
            "subject": plate,
            "valid_from": timezone.localdate(),
            "valid_until": vehicle.inspection_valid_until,
        }
    document = ElectronicDocument(kind=kind, application=application, issued_at=timezone.now(), **fields)
    document._change_reason = f"issued: case {application.number}"
    document.save()
    return document


def qr_svg(data: str, size: int = 180) -> str:
    """An SVG QR code of `data`, drawn by reportlab's own QR widget (no extra dependency)."""
    from reportlab.graphics import renderSVG
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(data, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    svg = renderSVG.drawToString(drawing)
    return svg[svg.index("<svg") :]
