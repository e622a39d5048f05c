import pytest

from portal.models import User, Vehicle
from tests import factories


def _vehicle_form(vehicle, **changes):
    data = {
        "city": vehicle.city_id,
        "vin": vehicle.vin,
        "conformity_cert_number": vehicle.conformity_cert_number,
        "plate_number": vehicle.plate_number or "",
        "plate_type": vehicle.plate_type,
        "owner_id_number": vehicle.owner_id_number,
        "owner_name": vehicle.owner_name,
        "kind": vehicle.kind,
        "seats": vehicle.seats,
        "brand": vehicle.brand,
        "model_name": vehicle.model_name,
        "manufactured_on": "",
        "registered_on": vehicle.registered_on.isoformat() if vehicle.registered_on else "",
        "inspection_valid_until": vehicle.inspection_valid_until.isoformat() if vehicle.inspection_valid_until else "",
        "status": vehicle.status,
    }
    data.update(changes)
    return data


def test_a_clerks_change_to_a_vehicle_is_kept_with_who_when_and_what(client, has, clerk_has):
    vehicle = factories.VehicleFactory(city=has, status=Vehicle.Status.NORMAL)
    client.force_login(clerk_has)
    url = f"/admin/portal/vehicle/{vehicle.pk}/change/"

    response = client.post(
        url, _vehicle_form(vehicle, status=Vehicle.Status.OVERDUE_INSPECTION), HTTP_HOST="has.localhost"
    )

    assert response.status_code == 302
    newest, previous = vehicle.history.all()[:2]
    assert newest.history_user == clerk_has
    assert newest.history_date is not None
    delta = newest.diff_against(previous)
    assert delta.changed_fields == ["status"]
    assert (delta.changes[0].old, delta.changes[0].new) == ("normal", "overdue")

    history_page = client.get(f"/admin/portal/vehicle/{vehicle.pk}/history/", HTTP_HOST="has.localhost")
    assert history_page.status_code == 200
    assert clerk_has.real_name in history_page.content.decode()


def test_user_history_leaves_out_the_password_and_last_login(db):
    fields = {f.name for f in User.history.model._meta.fields}
    assert "password" not in fields and "last_login" not in fields
    assert "role" in fields and "is_staff" in fields


@pytest.mark.parametrize(
    "model_name",
    [
        "Vehicle",
        "DrivingLicence",
        "CitySetting",
        "Holiday",
        "ClerkProfile",
        "MedicalInstitution",
        "Office",
        "User",
        "Payment",
        "Refund",
        "Shipment",
    ],
)
def test_business_models_keep_history(model_name):
    from portal import models

    assert hasattr(getattr(models, model_name), "history")


def test_a_role_change_of_a_user_shows_in_the_users_history(client, has):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    user = factories.UserFactory()
    client.force_login(admin)
    before = user.history.count()
    user.role = User.Role.CLERK
    user.save()  # outside a request: history_user is unknown, the row is still kept
    page = client.get(f"/admin/portal/user/{user.pk}/history/", HTTP_HOST="has.localhost")
    assert page.status_code == 200
    assert user.history.count() == before + 1
    assert user.history.first().role == "clerk"
