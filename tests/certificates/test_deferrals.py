"""Deferral of renewal, review or medical (docs/rules.md §4.7): at most 3 years (the bound
included), a document checked by content, a clerk of the issuing city decides; an approval moves
the due date the renewal notices and the renewal window use."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificates import services
from certificates.models import Deferral, Item
from notices import own_kinds
from notices import services as notice_services
from notices.models import Notice
from portal import identity
from portal.models import DrivingLicence
from tests.certificates.conftest import D, on
from tests.conftest import city_client

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf():
    return SimpleUploadedFile("service.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def licence(citizen, licence_of, has):
    return licence_of(citizen, city=has, valid_until=D(2027, 6, 30))


def ask(user, licence, until, subject="renewal", document=None):
    return services.deferral_submit(
        user,
        licence_id=licence.pk,
        subject=subject,
        reason="military",
        until=until,
        details="某部队",
        document=document or pdf(),
    )


def test_renewal_deferral_runs_at_most_three_years_from_expiry(citizen, licence):
    with on(D(2027, 5, 1)):
        with pytest.raises(services.CertificateError, match="2030-06-30"):
            ask(citizen, licence, D(2030, 7, 1))
        deferral = ask(citizen, licence, D(2030, 6, 30))  # the bound itself is allowed
    assert deferral.status == Deferral.Status.SUBMITTED and deferral.city == licence.city


def test_review_and_medical_count_from_the_day_of_the_request(citizen, licence):
    with on(D(2027, 1, 10)):
        with pytest.raises(services.CertificateError):
            ask(citizen, licence, D(2030, 1, 11), subject="medical")
        assert ask(citizen, licence, D(2030, 1, 10), subject="medical").subject == "medical"


def test_the_date_must_be_after_the_expiry(citizen, licence):
    with on(D(2027, 5, 1)), pytest.raises(services.CertificateError):
        ask(citizen, licence, D(2027, 6, 30))


def test_not_a_long_term_or_someone_elses_licence(citizen, other_citizen, licence_of, has):
    long_term = licence_of(citizen, city=has, valid_until=None)
    theirs = licence_of(other_citizen, city=has, valid_until=D(2027, 6, 30))
    with on(D(2027, 5, 1)):
        with pytest.raises(services.CertificateError):
            ask(citizen, long_term, D(2028, 1, 1))
        with pytest.raises(services.CertificateError):
            ask(citizen, theirs, D(2028, 1, 1))


def test_one_open_request_per_licence_and_subject(citizen, licence):
    with on(D(2027, 5, 1)):
        ask(citizen, licence, D(2028, 1, 1))
        with pytest.raises(services.CertificateError):
            ask(citizen, licence, D(2029, 1, 1))
        ask(citizen, licence, D(2028, 1, 1), subject="review")  # another subject is its own request


def test_approval_moves_the_renewal_notices_and_window(citizen, licence, clerk_has):
    with on(D(2027, 5, 1)):
        deferral = ask(citizen, licence, D(2029, 6, 30))
        services.deferral_approve(deferral, clerk_has)
    licence.refresh_from_db()
    assert licence.renewal_deferred_until == D(2029, 6, 30)
    # The registry row's history says who moved it.
    assert (
        DrivingLicence.history.filter(id=licence.pk, renewal_deferred_until=D(2029, 6, 30))
        .latest("history_date")
        .history_user_id
        == clerk_has.pk
    )
    # No "expired" notice a day after the old expiry: the due date is the deferred one.
    with on(D(2027, 7, 1)):
        notice_services.sweep()
    kinds = set(Notice.objects.filter(id_number_hash=identity.id_key(licence.id_number)).values_list("kind", flat=True))
    assert own_kinds.LICENCE_EXPIRED not in kinds
    with on(D(2029, 4, 1)):
        notice_services.sweep()
    window = Notice.objects.get(
        id_number_hash=identity.id_key(licence.id_number),
        kind=own_kinds.LICENCE_WINDOW,
        context__valid_until="2029-06-30",
    )
    assert window.context["valid_until"] == "2029-06-30"
    # Renewal opens 90 days before the deferred date, not the original one.
    with on(D(2027, 5, 1)):
        refusals = services.refusals(Item.LICENCE_RENEWAL, citizen, licence.city, licence=licence)
    assert any("2029-06-30" in r.message for r in refusals)


def test_refusal_needs_a_reason_and_is_told(citizen, licence, clerk_has):
    with on(D(2027, 5, 1)):
        deferral = ask(citizen, licence, D(2028, 6, 30))
        with pytest.raises(services.CertificateError):
            services.deferral_refuse(deferral, clerk_has, "  ")
        services.deferral_refuse(deferral, clerk_has, "证明材料不清晰")
        with pytest.raises(services.CertificateError):
            services.deferral_approve(deferral, clerk_has)
    licence.refresh_from_db()
    assert licence.renewal_deferred_until is None
    assert Notice.objects.filter(kind="certificates.deferral_refused", context__reason="证明材料不清晰").exists()
    assert Deferral.history.filter(id=deferral.pk, status="refused").exists()


def test_the_page_checks_the_document_by_content(citizen_client, citizen, licence):
    with on(D(2027, 5, 1)):
        fake = SimpleUploadedFile("service.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
        data = {"licence": licence.pk, "subject": "renewal", "reason": "abroad", "until": "2028-06-30"}
        response = citizen_client.post("/certificates/deferral/", {**data, "document": fake})
        assert response.status_code == 200 and "document" in response.context["form"].errors
        assert Deferral.objects.count() == 0
        response = citizen_client.post("/certificates/deferral/", {**data, "document": pdf()})
        assert response.status_code == 302
    deferral = Deferral.objects.get()
    assert bytes(deferral.document) == PDF and deferral.reason == "abroad"


def test_clerks_of_the_issuing_city_only(client, citizen, licence, clerk_has, clerk_szv):
    with on(D(2027, 5, 1)):
        deferral = ask(citizen, licence, D(2028, 6, 30))
    szv = city_client(client, "szv")
    szv.force_login(clerk_szv)
    assert szv.get(f"/admin/certificates/deferral/{deferral.pk}/review/").status_code == 404
    assert szv.get(f"/certificates/deferral/document/{deferral.document_token}/").status_code == 404
    has = city_client(client, "has")
    has.force_login(clerk_has)
    assert has.get(f"/certificates/deferral/document/{deferral.document_token}/").content == PDF
    with on(D(2027, 5, 2)):
        response = has.post(f"/admin/certificates/deferral/{deferral.pk}/review/", {"action": "approve"})
    assert response.status_code == 302
    assert DrivingLicence.objects.get(pk=licence.pk).renewal_deferred_until == D(2028, 6, 30)


TEXT = st.one_of(
    st.sampled_from(["", "0", "-1", "2026-02-30", "9" * 30, "renewal", "military", "\x00"]), st.text(max_size=30)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(TEXT, min_size=5, max_size=5), attach=st.booleans())
def test_hostile_form_never_500(citizen_client, licence, values, attach):
    citizen_client.raise_request_exception = True
    data = dict(zip(["licence", "subject", "reason", "until", "details"], values, strict=True))
    if attach:
        data["document"] = SimpleUploadedFile("x.pdf", values[0].encode("utf-8", "replace") or b"x")
    response = citizen_client.post("/certificates/deferral/", data)
    assert response.status_code in (200, 302)
    from urllib.parse import quote

    token = quote(values[1], safe="") or "x"
    assert citizen_client.get(f"/certificates/deferral/document/{token}/").status_code == 404
    Deferral.objects.all().delete()
