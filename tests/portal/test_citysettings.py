from decimal import Decimal

import pytest

from portal import citysettings
from portal.models import CitySetting
from tests import factories

KEY = "plate_hold_working_days"


@pytest.fixture
def province_client(client, has):
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    client.defaults["HTTP_HOST"] = "has.localhost"
    return client


def test_defaults_come_from_rules_md(has):
    assert citysettings.get(has, KEY) == 3
    assert citysettings.get(has, "plate_ban_years") == 2
    assert citysettings.get(has, "binding_other_drivers_per_vehicle") == 2
    assert citysettings.get(has, "online_fine_limit") == Decimal("200")
    assert citysettings.get(None, "plate_pool_min_available") == 50000
    assert citysettings.get(has, "plate_second_sms") is True


def test_a_province_admin_changes_a_setting_for_one_city_in_the_admin(province_client, has, szv):
    response = province_client.post("/admin/portal/citysetting/add/", {"city": has.pk, "key": KEY, "value": "5"})

    assert response.status_code == 302
    assert citysettings.get(has, KEY) == 5
    assert citysettings.get(szv, KEY) == 3


def test_decimal_and_boolean_settings_keep_their_types(province_client, has):
    province_client.post("/admin/portal/citysetting/add/", {"city": has.pk, "key": "fee_plate_pair", "value": "120.50"})
    province_client.post(
        "/admin/portal/citysetting/add/", {"city": has.pk, "key": "plate_second_sms", "value": "false"}
    )

    assert citysettings.get(has, "fee_plate_pair") == Decimal("120.50")
    assert citysettings.get(has, "plate_second_sms") is False


@pytest.mark.parametrize(("value", "message"), [("three", "必须是"), ("-1", "不能小于"), ("2.5", "必须是")])
def test_a_bad_value_is_refused_with_a_message_and_nothing_is_stored(province_client, has, value, message):
    response = province_client.post("/admin/portal/citysetting/add/", {"city": has.pk, "key": KEY, "value": value})

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'value="{value}"' in page  # what was typed is kept
    assert not CitySetting.objects.exists()
    assert citysettings.get(has, KEY) == 3


def test_a_changed_setting_can_be_changed_again_and_is_audited(province_client, has):
    province_client.post("/admin/portal/citysetting/add/", {"city": has.pk, "key": KEY, "value": "5"})
    row = CitySetting.objects.get()
    province_client.post(f"/admin/portal/citysetting/{row.pk}/change/", {"city": has.pk, "key": KEY, "value": "4"})
    assert citysettings.get(has, KEY) == 4
    assert row.history.count() == 2


def test_clerks_cannot_see_or_edit_settings(client, has, clerk_has):
    client.force_login(clerk_has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    assert client.get("/admin/portal/citysetting/").status_code == 403
    response = client.post("/admin/portal/citysetting/add/", {"city": has.pk, "key": KEY, "value": "9"})
    assert response.status_code == 403
    assert citysettings.get(has, KEY) == 3


def test_a_changed_or_removed_override_is_seen_at_once(has):
    assert citysettings.get(has, KEY) == 3  # now cached for this process
    setting = CitySetting.objects.create(city=has, key=KEY, value=4)
    assert citysettings.get(has, KEY) == 4
    setting.value = 6
    setting.save()
    assert citysettings.get(has, KEY) == 6
    setting.delete()
    assert citysettings.get(has, KEY) == 3


def test_other_processes_see_a_change_within_a_minute(has, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(citysettings._overrides, "clock", lambda: clock[0])
    assert citysettings.get(has, KEY) == 3
    # Another process saved the row: this process's signal never fired.
    CitySetting.objects.bulk_create([CitySetting(city=has, key=KEY, value=5)])
    assert citysettings.get(has, KEY) == 3
    clock[0] += 59
    assert citysettings.get(has, KEY) == 3
    clock[0] += 2
    assert citysettings.get(has, KEY) == 5
