"""Hospital uploads: who may upload, matching the registry, 24-hour corrections that keep the old
version, and one institution never reading or changing another's certificates."""

import datetime

import pytest

from certificates import selectors, services
from certificates.models import MedicalCertificate
from tests import factories
from tests.certificates.conftest import MEDICAL, D, on, upload_medical
from tests.conftest import city_client

pytestmark = pytest.mark.django_db


def form_data(person, exam_date, **overrides):
    data = {**MEDICAL, "id_number": person.id_number, "name": person.real_name, "exam_date": exam_date.isoformat()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not False}


def test_staff_upload_through_the_form_and_the_citizen_sees_it(client, citizen_client, citizen, doctor):
    staff = city_client(client.__class__(), "has")
    staff.force_login(doctor)
    with on(D(2026, 7, 1)):
        response = staff.post("/certificates/hospital/new/", form_data(citizen, D(2026, 7, 1)))
        assert response.status_code == 302
        certificate = MedicalCertificate.objects.get()
        assert certificate.institution == doctor.medical_institution and certificate.uploaded_by == doctor
        assert certificate.history.first().history_user == doctor
        page = citizen_client.get("/certificates/medical/").content.decode()
    assert "淮安市第一人民医院" in page and 'data-testid="medical-valid"' in page


def test_id_number_and_name_must_match_an_account_or_the_registry(doctor):
    stranger = factories.UserFactory.build()  # never saved: no account, no registry record
    with on(D(2026, 7, 1)), pytest.raises(services.CertificateError):
        services.medical_upload(doctor, id_number=stranger.id_number, name="张三", exam_date=D(2026, 7, 1), **MEDICAL)
    licence = factories.DrivingLicenceFactory(holder_name="李四")
    with on(D(2026, 7, 1)):
        services.medical_upload(doctor, id_number=licence.id_number, name="李四", exam_date=D(2026, 7, 1), **MEDICAL)
        with pytest.raises(services.CertificateError):
            services.medical_upload(
                doctor, id_number=licence.id_number, name="李五", exam_date=D(2026, 7, 1), **MEDICAL
            )


def test_a_wrong_form_keeps_what_was_typed_with_messages(client, citizen, doctor):
    staff = city_client(client, "has")
    staff.force_login(doctor)
    with on(D(2026, 7, 1)):
        page = staff.post(
            "/certificates/hospital/new/", form_data(citizen, D(2026, 7, 1), height_cm="12", name="别人")
        ).content.decode()
    assert MedicalCertificate.objects.count() == 0
    assert "王医生" in page and "is-invalid" in page


def test_a_correction_within_24_hours_keeps_the_old_version(citizen, doctor):
    first = upload_medical(doctor, citizen, D(2026, 7, 1))
    with on(D(2026, 7, 2), 14, 59):
        second = services.medical_correct(doctor, first, **{**MEDICAL, "exam_date": D(2026, 7, 1), "height_cm": 175})
    first.refresh_from_db()
    assert not first.is_current and first.height_cm == 172
    assert second.supersedes == first and second.height_cm == 175
    assert selectors.newest_valid_medical(citizen.id_number, D(2026, 7, 3)) == second
    with on(D(2026, 7, 2), 15, 1), pytest.raises(services.CertificateError):
        services.medical_correct(doctor, second, **{**MEDICAL, "exam_date": D(2026, 7, 1)})
    with on(D(2026, 7, 1), 16), pytest.raises(services.CertificateError):
        services.medical_correct(doctor, first, **{**MEDICAL, "exam_date": D(2026, 7, 1)})  # superseded


def test_hospital_b_cannot_read_or_change_hospital_a_certificates_by_any_url(client, citizen, doctor, doctor_b):
    certificate = upload_medical(doctor, citizen, D(2026, 7, 1))
    other = city_client(client, "has")
    other.force_login(doctor_b)
    with on(D(2026, 7, 1), 16):
        for url in (
            f"/certificates/hospital/{certificate.pk}/",
            f"/certificates/hospital/{certificate.pk}/correct/",
        ):
            assert other.get(url).status_code == 404
            assert other.post(url, form_data(citizen, D(2026, 7, 1), height_cm="180")).status_code == 404
        listing = other.get("/certificates/hospital/").content.decode()
        assert citizen.masked_id_number not in listing and 'data-testid="hospital-row"' not in listing
        with pytest.raises(services.CertificateError):
            services.medical_correct(doctor_b, certificate, **{**MEDICAL, "exam_date": D(2026, 7, 1)})
        # nor can a clerk or a citizen reach the hospital pages at all
        for intruder in (factories.clerk("has"), citizen):
            other.force_login(intruder)
            assert other.get(f"/certificates/hospital/{certificate.pk}/").status_code == 404
            assert other.get("/certificates/hospital/").status_code == 404
    certificate.refresh_from_db()
    assert certificate.is_current and certificate.height_cm == 172
    assert MedicalCertificate.objects.count() == 1


def test_own_staff_see_and_correct_through_the_pages(client, citizen, doctor):
    certificate = upload_medical(doctor, citizen, D(2026, 7, 1))
    staff = city_client(client, "has")
    staff.force_login(doctor)
    with on(D(2026, 7, 1), 18):
        assert citizen.real_name not in staff.get("/certificates/hospital/").content.decode()
        response = staff.post(
            f"/certificates/hospital/{certificate.pk}/correct/",
            {k: v for k, v in {**MEDICAL, "exam_date": "2026-07-01", "height_cm": 174}.items() if v is not False},
        )
        assert response.status_code == 302
        page = staff.get(response["Location"]).content.decode()
    assert page.count('data-testid="version"') == 2


def test_c5_only_from_designated_institutions(citizen, doctor):
    with on(D(2026, 7, 1)), pytest.raises(services.CertificateError):
        services.medical_upload(
            doctor,
            id_number=citizen.id_number,
            name=citizen.real_name,
            exam_date=D(2026, 7, 1),
            **{**MEDICAL, "classes_fit": ["C5"]},
        )


def test_an_exam_older_than_6_months_or_in_the_future_is_refused(citizen, doctor):
    with on(D(2026, 7, 1)):
        for day in (D(2025, 12, 31), D(2026, 7, 2)):
            with pytest.raises(services.CertificateError):
                services.medical_upload(
                    doctor, id_number=citizen.id_number, name=citizen.real_name, exam_date=day, **MEDICAL
                )
    assert datetime.date(2026, 1, 1) == D(2026, 1, 1)


def test_the_public_list_of_institutions_per_city(has_client, institution, szv):
    from portal.models import MedicalInstitution

    MedicalInstitution.objects.create(city=szv, name="宿迁市人民医院", licence_number="X-SZV-1")
    page = has_client.get("/certificates/institutions/").content.decode()
    assert institution.name in page and "宿迁市人民医院" not in page
