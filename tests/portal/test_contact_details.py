"""My details (变更联系方式, R-DL art 81; docs/rules.md §1.1): a new mobile needs a code to the old AND
to the new number; the registry's copies follow; the postal address is checked; history rows."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import contact_services, identity
from portal.account_services import AccountError
from portal.models import DrivingLicence, User, Vehicle
from tests import factories
from tests.conftest import last_code

pytestmark = pytest.mark.django_db
NEW = "13912345678"


@pytest.fixture
def records(citizen, has):
    number = identity.normalize_id_number(citizen.id_number)
    car = factories.VehicleFactory(city=has, owner_id_number=number, owner_mobile=citizen.mobile)
    lic = factories.DrivingLicenceFactory(city=has, id_number=number, mobile=citizen.mobile)
    stranger = factories.VehicleFactory(city=has, owner_mobile="13700000000")
    return car, lic, stranger


def _post(client, **data):
    return client.post("/my/details/", data)


def test_page_states_the_30_day_duty(citizen_client):
    response = citizen_client.get("/my/details/")
    assert response.status_code == 200
    assert "81" in response.content.decode() and b'data-testid="art81"' in response.content


def test_codes_go_to_the_old_and_the_new_mobile(citizen_client, citizen, sms_outbox):
    _post(citizen_client, action="send", new_mobile=NEW)
    assert {m["mobile"] for m in sms_outbox} == {citizen.mobile, NEW}


def test_mobile_changes_with_both_codes_and_the_registry_follows(citizen_client, citizen, records):
    car, lic, stranger = records
    _post(citizen_client, action="send", new_mobile=NEW)
    response = _post(
        citizen_client,
        action="mobile",
        new_mobile=NEW,
        old_code=last_code(citizen.mobile),
        new_code=last_code(NEW),
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.mobile == NEW
    assert Vehicle.objects.get(pk=car.pk).owner_mobile == NEW
    assert DrivingLicence.objects.get(pk=lic.pk).mobile == NEW
    assert Vehicle.objects.get(pk=stranger.pk).owner_mobile == "13700000000"
    # History: who changed it, on the account and on each registry row.
    assert User.history.filter(id=citizen.pk, mobile=NEW).latest("history_date").history_user_id == citizen.pk
    assert DrivingLicence.history.filter(id=lic.pk, mobile=NEW).exists()
    # Still verified against the registry, with the new number.
    assert User.objects.get(pk=citizen.pk).registry_verified


def test_the_new_code_alone_is_not_enough(citizen_client, citizen, records):
    _post(citizen_client, action="send", new_mobile=NEW)
    response = _post(citizen_client, action="mobile", new_mobile=NEW, old_code="000000", new_code=last_code(NEW))
    assert response.status_code == 200
    assert "old_code" in response.context["mobile_form"].errors
    assert response.context["mobile_form"]["new_mobile"].value() == NEW  # what was typed is kept
    citizen.refresh_from_db()
    assert citizen.mobile != NEW
    assert records[1].mobile == DrivingLicence.objects.get(pk=records[1].pk).mobile


def test_the_old_code_alone_is_not_enough(citizen_client, citizen):
    _post(citizen_client, action="send", new_mobile=NEW)
    response = _post(citizen_client, action="mobile", new_mobile=NEW, old_code=last_code(citizen.mobile), new_code="1")
    assert response.status_code == 200
    citizen.refresh_from_db()
    assert citizen.mobile != NEW


def test_a_mobile_of_another_account_is_refused_after_the_codes(citizen, other_citizen, rf):
    contact_services.contact_send_codes(_request(rf), citizen, other_citizen.mobile)
    with pytest.raises(AccountError) as exc:
        contact_services.contact_change_mobile(
            _request(rf),
            citizen,
            new_mobile=other_citizen.mobile,
            old_code=last_code(citizen.mobile),
            new_code=last_code(other_citizen.mobile),
        )
    assert exc.value.field == "new_mobile"


def test_an_unverified_account_never_rewrites_the_registry(rf, has):
    user = factories.UserFactory(identity_verified_at=None)
    lic = factories.DrivingLicenceFactory(city=has, id_number=user.id_number, mobile="13700000001")
    assert not user.registry_verified
    contact_services.contact_send_codes(_request(rf), user, NEW)
    contact_services.contact_change_mobile(
        _request(rf), user, new_mobile=NEW, old_code=last_code(user.mobile), new_code=last_code(NEW)
    )
    assert DrivingLicence.objects.get(pk=lic.pk).mobile == "13700000001"


def test_same_mobile_refused(citizen_client, citizen):
    response = _post(citizen_client, action="send", new_mobile=citizen.mobile)
    assert "sms-error" in response.content.decode()


def test_address_saved_and_checked(citizen_client, citizen):
    bad = _post(citizen_client, action="address", postal_address="江苏省淮安市清江浦区健康东路1号", postcode="12345")
    assert bad.status_code == 200 and "postcode" in bad.context["address_form"].errors
    ok = _post(citizen_client, action="address", postal_address="江苏省淮安市清江浦区健康东路1号", postcode="223001")
    assert ok.status_code == 302
    citizen.refresh_from_db()
    assert (citizen.postal_address, citizen.postcode) == ("江苏省淮安市清江浦区健康东路1号", "223001")
    assert User.history.filter(id=citizen.pk, postcode="223001").exists()


def test_anonymous_is_sent_to_login(has_client):
    assert "/login/" in has_client.get("/my/details/")["Location"]


def _request(rf):
    request = rf.post("/my/details/")
    request.META["REMOTE_ADDR"] = "10.0.0.1"
    return request


TEXT = st.one_of(
    st.sampled_from(["", " ", "0", "13912345678", "+86 139 1234 5678", "\x00", "A" * 400, "{x}", "２２３００１"]),
    st.text(max_size=40),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=st.sampled_from(["send", "mobile", "address", "", "x"]),
    values=st.lists(TEXT, min_size=5, max_size=5),
)
def test_hostile_input_never_500(citizen_client, citizen, action, values):
    citizen_client.raise_request_exception = True
    fields = ["new_mobile", "old_code", "new_code", "postal_address", "postcode"]
    response = _post(citizen_client, action=action, **dict(zip(fields, values, strict=True)))
    assert response.status_code in (200, 302)
    assert User.objects.get(pk=citizen.pk).mobile == citizen.mobile


def test_the_address_on_file_is_offered_on_postal_applications(citizen_client, citizen, records):
    _post(citizen_client, action="address", postal_address="江苏省淮安市清江浦区健康东路9号", postcode="223001")
    page = citizen_client.get(f"/certificates/apply/vehicle-licence/{records[0].pk}/").content.decode()
    assert "江苏省淮安市清江浦区健康东路9号" in page and "223001" in page
