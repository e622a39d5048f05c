"""Checks for files citizens and hospitals upload: by content and size, not by the name's extension.

    from portal.uploads import validate_image_upload, validate_pdf_upload, validate_pdf_or_image_upload

    def clean_photo(self):
        return validate_image_upload(self.cleaned_data["photo"])

Each returns the file (rewound) or raises forms.ValidationError with a message for the page.
A PDF must start with the PDF header and carry an end-of-file marker near its end; an image must
be a JPEG or PNG that Pillow can read and verify, within MAX_IMAGE_PIXELS (decompression bombs).
The saved name gets the extension of what the content is, whatever the uploaded name said.
"""

import os

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image

IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}
MAX_IMAGE_PIXELS = 40_000_000


def _max_bytes(max_bytes: int | None) -> int:
    return max_bytes or getattr(settings, "UPLOAD_MAX_BYTES", 5 * 1024 * 1024)


def _check_size(upload, max_bytes):
    limit = _max_bytes(max_bytes)
    if upload.size is None or upload.size > limit:
        raise forms.ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)}, code="too_large"
        )
    if upload.size == 0:
        raise forms.ValidationError(_("The file is empty."), code="empty")


def _rename(upload, extension):
    stem = os.path.splitext(os.path.basename(upload.name or "upload"))[0][:80] or "upload"
    upload.name = stem + extension


def _is_pdf(upload) -> bool:
    upload.seek(0)
    head = upload.read(1024)
    if b"%PDF-" not in head[:1024] or not head.lstrip().startswith(b"%PDF-"):
        return False
    upload.seek(max(0, upload.size - 2048))
    tail = upload.read()
    upload.seek(0)
    return b"%%EOF" in tail


def _image_format(upload) -> str | None:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt = image.format
            if fmt not in IMAGE_FORMATS or image.width * image.height > MAX_IMAGE_PIXELS:
                return None
            image.verify()
    except Exception:  # Pillow raises many kinds for a broken or hostile file
        return None
    finally:
        upload.seek(0)
    return fmt


def validate_pdf_upload(upload, max_bytes: int | None = None):
    _check_size(upload, max_bytes)
    if not _is_pdf(upload):
        raise forms.ValidationError(_("This file is not a PDF document."), code="not_pdf")
    _rename(upload, ".pdf")
    return upload


def validate_image_upload(upload, max_bytes: int | None = None):
    _check_size(upload, max_bytes)
    fmt = _image_format(upload)
    if fmt is None:
        raise forms.ValidationError(_("This file is not a JPG or PNG picture."), code="not_image")
    _rename(upload, IMAGE_FORMATS[fmt])
    return upload


def validate_pdf_or_image_upload(upload, max_bytes: int | None = None):
    _check_size(upload, max_bytes)
    if _is_pdf(upload):
        _rename(upload, ".pdf")
        return upload
    fmt = _image_format(upload)
    if fmt is None:
        raise forms.ValidationError(_("Upload a PDF, JPG or PNG file."), code="bad_type")
    _rename(upload, IMAGE_FORMATS[fmt])
    return upload
