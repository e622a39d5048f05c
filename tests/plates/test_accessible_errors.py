"""A refused form tells a screen reader which field is wrong and why: the field is aria-invalid
and aria-describedby points at the message next to it (crispy forms, portal/_sms_code.html)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _described_errors(body: str) -> dict[str, str]:
    """name -> the text of the element its aria-describedby points at, for every aria-invalid control."""
    found = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", body):
        if 'aria-invalid="true"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag).group(1)
        target = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()[0]
        message = re.search(rf'id="{re.escape(target)}"[^>]*>(.*?)</div>', body, re.S)
        found[name] = re.sub(r"<[^>]+>", "", message.group(1)).strip() if message else ""
    return found


def test_the_start_form_ties_each_error_to_its_field(citizen_client, vehicle, pool):
    page = citizen_client.post(reverse("plates:start"), {"vin": "SHORT", "cert_number": ""}).content.decode()
    errors = _described_errors(page)
    assert set(errors) == {"accept", "vin", "cert_number"}
    assert "业务须知" in errors["accept"] and all(errors.values())


def test_the_sms_code_box_ties_its_error_to_it(citizen_client, vehicle, pool):
    start = citizen_client.post(
        reverse("plates:start"), {"accept": "on", "vin": vehicle.vin, "cert_number": vehicle.conformity_cert_number}
    )
    page = citizen_client.post(start.url, {"action": "check", "code": "12"}).content.decode()
    errors = _described_errors(page)
    assert list(errors) == ["code"] and errors["code"]
