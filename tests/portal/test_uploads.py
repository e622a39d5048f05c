"""portal.uploads: files are judged by what they contain and how large they are."""

import io

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.uploads import validate_image_upload, validate_pdf_or_image_upload, validate_pdf_upload


def picture(fmt="PNG", size=(30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, fmt)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_real_png_named_exe_is_accepted_and_renamed_as_what_it_is():
    upload = validate_image_upload(SimpleUploadedFile("photo.exe", picture("PNG")))
    assert upload.name == "photo.png"


def test_a_script_named_jpg_is_refused():
    with pytest.raises(forms.ValidationError, match="JPG"):
        validate_image_upload(SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>"))


def test_a_gif_or_truncated_jpeg_is_refused():
    with pytest.raises(forms.ValidationError):
        validate_image_upload(SimpleUploadedFile("a.gif", picture("GIF")))
    with pytest.raises(forms.ValidationError):
        validate_image_upload(SimpleUploadedFile("a.jpg", picture("JPEG")[:40]))


def test_pdfs_need_the_header_and_the_end_marker():
    assert validate_pdf_upload(SimpleUploadedFile("cert", PDF)).name == "cert.pdf"
    with pytest.raises(forms.ValidationError):
        validate_pdf_upload(SimpleUploadedFile("cert.pdf", b"%PDF-1.4 truncated"))
    with pytest.raises(forms.ValidationError):
        validate_pdf_upload(SimpleUploadedFile("cert.pdf", picture()))


def test_size_is_limited_in_the_portal_not_only_by_the_proxy():
    big = PDF[:-6] + b" " * (2 * 1024 * 1024) + b"%%EOF\n"
    with pytest.raises(forms.ValidationError, match="1.0 MB"):
        validate_pdf_upload(SimpleUploadedFile("big.pdf", big), max_bytes=1024 * 1024)
    with pytest.raises(forms.ValidationError):
        validate_pdf_or_image_upload(SimpleUploadedFile("empty.pdf", b""))


def test_either_kind_for_invoices():
    assert validate_pdf_or_image_upload(SimpleUploadedFile("x", PDF)).name == "x.pdf"
    assert validate_pdf_or_image_upload(SimpleUploadedFile("x.pdf", picture("JPEG"))).name == "x.jpg"
