"""Notices are about registry records: an account not yet verified against the registry is sent
to the verification page first (docs/rules.md §1)."""

from django.urls import reverse

from tests import factories

OWNER_MOBILE = "13912345678"


def _unverified_with_records(has):
    user = factories.UserFactory(identity_verified_at=None)
    # The registry knows this ID number under another mobile: signing up is not proof of it.
    factories.VehicleFactory(city=has, owner_id_number=user.id_number, owner_mobile=OWNER_MOBILE)
    factories.DrivingLicenceFactory(city=has, id_number=user.id_number, mobile=OWNER_MOBILE)
    return user


def test_an_unverified_account_is_sent_to_verification(has_client, has):
    has_client.force_login(_unverified_with_records(has))
    for name in ("notices:inbox",):
        response = has_client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].endswith(reverse("accounts:identity_verify")), name


def test_a_verified_account_sees_its_inbox(has_client, has):
    has_client.force_login(factories.UserFactory())
    response = has_client.get(reverse("notices:inbox"))
    assert response.status_code == 200
