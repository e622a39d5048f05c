"""Random and hostile values in every certificates form, URL and callback: a page with a message
or a 404, never a 500 (property-based, hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificates.models import Application, MedicalCertificate
from tests.certificates.conftest import D, on, upload_medical
from tests.conftest import city_client

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e308",
    "NaN",
    str(2**63),
    "9" * 40,
    "\x00",
    "' OR 1=1 --",
    "%(number)s",
    "{number}",
    "A" * 5000,
    "𝟘𝟙𝟚",
    "١٢٣٤٥٦",
    "<script>alert(1)</script>",
    "2026-02-30",
    "post",
    "collect",
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
SLUG = st.one_of(
    st.sampled_from(["plates", "vehicle-licence", "licence-renewal", "nope", "0"]),
    st.from_regex(r"[a-z0-9-]{1,30}", fullmatch=True),
)
ROW_ID = st.integers(min_value=0, max_value=10**19)
RUN = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FIELDS = [
    "kind",
    "reason_text",
    "temporary_plate_days",
    "delivery",
    "cash_on_delivery",
    "recipient_name",
    "recipient_phone",
    "address",
    "postcode",
    "code",
]
MEDICAL_FIELDS = [
    "id_number",
    "name",
    "exam_date",
    "height_cm",
    "vision_left",
    "vision_right",
    "vision_corrected",
    "colour_vision",
    "hearing_ok",
    "limbs_ok",
    "trunk_neck_ok",
    "conclusion",
    "classes_fit",
    "doctor_name",
]


def no_server_error(response):
    assert response.status_code < 500, response.status_code


@pytest.fixture
def hostile_client(citizen_client):
    citizen_client.raise_request_exception = True
    return citizen_client


@RUN
@given(values=st.lists(TEXT, min_size=len(FIELDS), max_size=len(FIELDS)), send=st.booleans())
def test_apply_form(hostile_client, car, values, send):
    data = dict(zip(FIELDS, values, strict=True))
    if send:
        data["send_code"] = "1"
    no_server_error(hostile_client.post(f"/certificates/apply/plates/{car.pk}/", data))
    assert Application.objects.count() == 0


@RUN
@given(slug=SLUG, row=ROW_ID, number=TEXT)
def test_urls(hostile_client, slug, row, number):
    for url in (f"/certificates/apply/{slug}/", f"/certificates/apply/{slug}/{row}/", f"/certificates/hospital/{row}/"):
        no_server_error(hostile_client.get(url))
    safe = number.replace("/", "").replace("\x00", "") or "x"
    from urllib.parse import quote

    for url in (f"/certificates/cases/{quote(safe)}/", f"/certificates/verify/{quote(safe)}/"):
        no_server_error(hostile_client.get(url))
    no_server_error(hostile_client.post(f"/certificates/cases/{quote(safe)}/pay/"))


@RUN
@given(values=st.lists(TEXT, min_size=len(MEDICAL_FIELDS), max_size=len(MEDICAL_FIELDS)))
def test_hospital_forms(client, doctor, citizen, values):
    staff = city_client(client, "has")
    staff.force_login(doctor)
    staff.raise_request_exception = True
    data = dict(zip(MEDICAL_FIELDS, values, strict=True))
    no_server_error(staff.post("/certificates/hospital/new/", data))
    assert MedicalCertificate.objects.count() <= 1


def test_hospital_correction_with_hostile_values(client, doctor, citizen):
    certificate = upload_medical(doctor, citizen, D(2026, 7, 1))
    staff = city_client(client, "has")
    staff.force_login(doctor)
    staff.raise_request_exception = True

    @RUN
    @given(values=st.lists(TEXT, min_size=len(MEDICAL_FIELDS), max_size=len(MEDICAL_FIELDS)))
    def run(values):
        with on(D(2026, 7, 1), 16):
            no_server_error(
                staff.post(
                    f"/certificates/hospital/{certificate.pk}/correct/", dict(zip(MEDICAL_FIELDS, values, strict=True))
                )
            )

    run()


@RUN
@given(body=st.binary(max_size=300), signature=TEXT)
def test_carrier_and_payment_callbacks(client, body, signature):
    no_server_error(
        client.post(
            "/postal/webhook/",
            body,
            content_type="application/json",
            HTTP_X_CARRIER_SIGNATURE=signature,
            HTTP_HOST="has.localhost",
        )
    )
