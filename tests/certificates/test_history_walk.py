"""Every transition of a case and a medical certificate leaves one history row with the person
who made it (simple-history through save(), portal.audit where an update bypasses it;
docs/architecture.md "Audit"): the citizen on their pages, the clerk at the desk, the doctor for
a certificate, nobody when the gateway's payment accepts a case."""

import pytest

from certificates import services
from certificates.models import Application, MedicalCertificate
from tests.audit import created_row, one_row
from tests.certificates.conftest import MEDICAL, D, on, submit, upload_medical
from tests.certificates.test_flow import apply_through_the_page, clerk_client, desk, pay_at_the_sandbox  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_case_from_submission_to_collection(citizen_client, clerk_client, citizen, clerk_has, licence_of):  # noqa: F811
    licence = licence_of(citizen)
    with on(D(2026, 7, 6)):
        application = apply_through_the_page(
            citizen_client, citizen, f"/certificates/apply/licence-replacement/{licence.pk}/", delivery="collect"
        )
        created_row(Application, application.pk, citizen)
        with one_row(application, None):
            pay_at_the_sandbox(citizen_client, application)
        for step in ("approve", "produce", "collected"):
            with one_row(application, clerk_has):
                desk(clerk_client, application, step)
    application.refresh_from_db()
    assert application.status == "closed"


def test_a_case_withdrawn_by_its_citizen(citizen, has, car):
    with on(D(2026, 7, 6)):
        application = submit(citizen, has, "vehicle_licence", vehicle=car)
        with one_row(application, citizen):
            services.application_withdraw(application, citizen)


def test_a_medical_certificate_uploaded_and_corrected_by_the_doctor(citizen, doctor):
    first = upload_medical(doctor, citizen, D(2026, 7, 1))
    created_row(MedicalCertificate, first.pk, doctor)
    with on(D(2026, 7, 1), 16), one_row(first, doctor):
        second = services.medical_correct(doctor, first, **{**MEDICAL, "exam_date": D(2026, 7, 1), "height_cm": 175})
    created_row(MedicalCertificate, second.pk, doctor)
