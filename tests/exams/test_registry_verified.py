"""Requesting, withdrawing or paying for an exam seat starts a service: an account not yet
verified against the registry is sent to the verification page first (docs/rules.md §1)."""

from django.urls import reverse

from tests import factories

OWNER_MOBILE = "13912345678"


def test_an_unverified_account_is_sent_to_verification(has_client, has):
    user = factories.UserFactory(identity_verified_at=None)
    factories.DrivingLicenceFactory(city=has, id_number=user.id_number, mobile=OWNER_MOBILE)
    has_client.force_login(user)
    for url in (
        reverse("exams:request", args=[1]),
        reverse("exams:withdraw", args=[1]),
        reverse("exams:pay", args=[1]),
    ):
        response = has_client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].endswith(reverse("accounts:identity_verify")), url


def test_a_verified_account_reaches_the_service(has_client):
    has_client.force_login(factories.UserFactory())
    # No such plan: the service itself answers, not the verification page.
    response = has_client.post(reverse("exams:request", args=[999999]))
    assert not response.get("Location", "").endswith(reverse("accounts:identity_verify"))
