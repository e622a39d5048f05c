"""The citizen's journey through HTTP: notice, vehicle data, SMS, random batch, backup, confirm, voucher."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from notices.models import Notice
from plates.models import Hold, PlateNumber, Selection
from portal import identity
from tests.conftest import last_code
from tests.plates.conftest import at, drawn_backup, new_vehicle, set_city

pytestmark = pytest.mark.django_db


def _start(client, vehicle, **overrides):
    data = {"accept": "on", "vin": vehicle.vin, "cert_number": vehicle.conformity_cert_number, **overrides}
    return client.post(reverse("plates:start"), data)


def test_start_page_shows_the_notice_in_chinese(citizen_client, vehicle):
    page = citizen_client.get(reverse("plates:start"))
    assert page.status_code == 200
    assert "业务须知" in page.content.decode()
    assert vehicle.vin in page.content.decode()


def test_start_needs_login(has_client):
    assert has_client.get(reverse("plates:start")).status_code == 302


def test_wrong_certificate_number_is_refused_and_the_form_keeps_the_vin(citizen_client, vehicle, pool):
    page = _start(citizen_client, vehicle, cert_number="WRONG123")
    body = page.content.decode()
    assert page.status_code == 200
    assert "车辆识别代号和合格证编号与本市登记在您名下的车辆不符" in body
    assert vehicle.vin in body
    assert not Selection.objects.exists()


def test_notice_must_be_accepted(citizen_client, vehicle, pool):
    page = _start(citizen_client, vehicle, accept="")
    assert "请先阅读并接受" in page.content.decode()


def test_someone_elses_vehicle_is_refused(citizen_client, other_citizen, has, pool):
    theirs = new_vehicle(other_citizen, has)
    page = _start(citizen_client, theirs)
    assert "不符" in page.content.decode()
    assert not Selection.objects.exists()


def test_vehicle_with_a_plate_gets_a_reason(citizen_client, vehicle, pool):
    vehicle.plate_number, vehicle.status = "苏H99999", "normal"
    vehicle.save()
    page = _start(citizen_client, vehicle)
    assert "已有号牌" in page.content.decode()


def test_full_journey_ends_with_a_voucher_and_a_pdf(citizen_client, citizen, vehicle, pool, sms_outbox):
    traveller = time_machine.travel(at(datetime.date(2026, 11, 20), 10), tick=False)
    traveller.start()
    response = _start(citizen_client, vehicle)
    selection = Selection.objects.get(vehicle=vehicle)
    assert response.url == reverse("plates:verify", args=[selection.pk])
    # Selection pages stay closed until the SMS code is checked.
    assert citizen_client.get(reverse("plates:selection", args=[selection.pk])).url == response.url

    citizen_client.post(response.url, {"action": "send"})
    wrong = citizen_client.post(
        response.url, {"action": "check", "code": "000000" if last_code(citizen.mobile) != "000000" else "111111"}
    )
    assert "验证码错误" in wrong.content.decode()
    citizen_client.post(response.url, {"action": "check", "code": last_code(citizen.mobile)})

    citizen_client.post(reverse("plates:draw", args=[selection.pk]), {"avoid_four": "on"})
    batch = selection.batches.get()
    assert len(batch.numbers) == 10 and not any("4" in n[2:] for n in batch.numbers)
    chosen = batch.numbers[3]
    citizen_client.post(reverse("plates:backup", args=[selection.pk]), {"batch": batch.pk, "number": chosen})
    number = PlateNumber.objects.get(number=chosen)
    assert number.status == "backup"

    confirm_url = reverse("plates:confirm", args=[selection.pk])
    # The confirmation code has its own resend wait: asked for right after the start code (same
    # second), it is sent; a second confirmation code within 60 s is refused with a message.
    sent = len(sms_outbox)
    citizen_client.post(confirm_url, {"action": "send"})
    assert len(sms_outbox) == sent + 1
    too_soon = citizen_client.post(confirm_url, {"action": "send"}, follow=True)
    assert "秒后再获取验证码" in too_soon.content.decode() and len(sms_outbox) == sent + 1
    response = citizen_client.post(
        confirm_url, {"action": "confirm", "number_id": number.pk, "code": last_code(citizen.mobile)}
    )
    hold = Hold.objects.get()
    assert response.url == reverse("plates:hold", args=[hold.pk])
    voucher = citizen_client.get(response.url).content.decode()
    assert chosen in voucher and vehicle.vin in voucher and "登记截止日" in voucher
    assert citizen.id_number not in voucher
    pdf = citizen_client.get(reverse("plates:voucher_pdf", args=[hold.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert Notice.objects.filter(
        kind="plates.hold_confirmed", id_number_hash=identity.id_key(citizen.id_number)
    ).exists()
    # Selected on Friday 20 Nov 2026: held until the end of the 3rd working day, Wednesday 25 Nov.
    assert hold.selected_on == datetime.date(2026, 11, 20)
    assert "2026-11-25" in voucher
    traveller.stop()


def test_confirm_without_the_second_code_is_refused(citizen_client, selection, citizen):
    number = drawn_backup(selection)
    page = citizen_client.post(
        reverse("plates:confirm", args=[selection.pk]), {"action": "confirm", "number_id": number.pk, "code": ""}
    )
    assert page.status_code == 200
    assert "验证码已过期或未发送" in page.content.decode()
    assert not Hold.objects.exists()


def test_city_may_switch_the_second_code_off(citizen_client, selection, has):
    set_city(has, "plate_second_sms", False)
    number = drawn_backup(selection)
    citizen_client.post(reverse("plates:confirm", args=[selection.pk]), {"action": "confirm", "number_id": number.pk})
    assert Hold.objects.get().number == number


def test_someone_elses_selection_is_not_found(client, other_citizen, selection, has):
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(other_citizen)
    assert client.get(reverse("plates:selection", args=[selection.pk])).status_code == 404
    assert client.post(reverse("plates:draw", args=[selection.pk])).status_code == 404


def test_nobody_can_claim_a_backup_through_someone_elses_selection(client, other_citizen, selection, szv):
    from plates import services

    batch = services.batch_draw(selection)
    client.force_login(other_citizen)
    url = reverse("plates:backup", args=[selection.pk])
    data = {"batch": batch.pk, "number": batch.numbers[0]}
    # Not the owner, and the owner's selection seen from another city's site: both are not found.
    assert client.post(url, data, HTTP_HOST="has.localhost").status_code == 404
    client.force_login(selection.citizen)
    assert client.post(url, data, HTTP_HOST="szv.localhost").status_code == 404
    assert not PlateNumber.objects.filter(status="backup").exists()


def test_a_backup_before_the_sms_code_is_refused_with_the_reason(citizen_client, selection):
    from plates import services

    batch = services.batch_draw(selection)
    Selection.objects.filter(pk=selection.pk).update(sms_verified_at=None)

    page = citizen_client.post(
        reverse("plates:backup", args=[selection.pk]), {"batch": batch.pk, "number": batch.numbers[0]}, follow=True
    )

    assert "请先完成短信验证" in page.content.decode()
    assert not PlateNumber.objects.filter(status="backup").exists()


def test_page_in_english_on_request(citizen_client, vehicle):
    citizen_client.cookies["django_language"] = "en"
    page = citizen_client.get(reverse("plates:start"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Service notice" in page.content.decode()


@pytest.mark.parametrize("second_sms", [True, False])
def test_nobody_can_confirm_through_someone_elses_selection(client, other_citizen, selection, has, second_sms):
    set_city(has, "plate_second_sms", second_sms)
    number = drawn_backup(selection)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(other_citizen)
    url = reverse("plates:confirm", args=[selection.pk])
    assert client.post(url, {"action": "confirm", "number_id": number.pk, "code": "123456"}).status_code == 404
    number.refresh_from_db()
    assert number.status == "backup" and not Hold.objects.exists()


def test_confirming_twice_leads_to_the_voucher_and_holds_once(citizen_client, selection, has):
    set_city(has, "plate_second_sms", False)
    number = drawn_backup(selection)
    url = reverse("plates:confirm", args=[selection.pk])
    first = citizen_client.post(url, {"action": "confirm", "number_id": number.pk})
    again = citizen_client.post(url, {"action": "confirm", "number_id": number.pk})
    hold = Hold.objects.get()
    assert first.url == again.url == reverse("plates:hold", args=[hold.pk])


def _history_values(row) -> dict:
    skip = {"history_id", "history_date", "history_type", "history_user", "history_change_reason"}
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if f.name not in skip}


def test_the_confirmation_keeps_the_audit_trail_simple_history_would(citizen_client, citizen, selection, has):
    # The confirmation writes its history rows through save() (simple_history): each must hold
    # what simple_history records for the same stored row, and the citizen who acted.
    set_city(has, "plate_second_sms", False)
    number = drawn_backup(selection)
    citizen_client.post(reverse("plates:confirm", args=[selection.pk]), {"action": "confirm", "number_id": number.pk})
    hold = Hold.objects.get()
    created = hold.history.get()
    closed = selection.history.latest("history_id")
    assert (created.history_type, created.history_user_id, created.status) == ("+", citizen.pk, "held")
    assert (closed.history_type, closed.history_user_id, closed.status) == ("~", citizen.pk, "done")
    hold.save()  # simple_history's own rows of the same stored values
    Selection.objects.get(pk=selection.pk).save()
    assert _history_values(created) == _history_values(hold.history.latest("history_id"))
    assert _history_values(closed) == _history_values(selection.history.latest("history_id"))


def test_confirm_before_the_sms_check_goes_back_to_the_check(citizen_client, citizen, vehicle, pool, has):
    set_city(has, "plate_second_sms", False)
    response = _start(citizen_client, vehicle)
    selection = Selection.objects.get(vehicle=vehicle)
    page = citizen_client.post(reverse("plates:confirm", args=[selection.pk]), {"action": "confirm", "number_id": 1})
    assert page.url == response.url == reverse("plates:verify", args=[selection.pk])
    assert not Hold.objects.exists()


def test_an_ended_selection_does_not_use_up_the_second_code(citizen_client, citizen, selection, sms_outbox):
    from plates import services

    number = drawn_backup(selection)
    Selection.objects.filter(pk=selection.pk).update(status=Selection.Status.EXHAUSTED)
    services.send_confirm_code(selection)
    code = last_code(citizen.mobile)
    url = reverse("plates:confirm", args=[selection.pk])
    citizen_client.post(url, {"action": "confirm", "number_id": number.pk, "code": code})
    assert not Hold.objects.exists()
    Selection.objects.filter(pk=selection.pk).update(status=Selection.Status.OPEN)
    response = citizen_client.post(url, {"action": "confirm", "number_id": number.pk, "code": code})
    assert response.url == reverse("plates:hold", args=[Hold.objects.get().pk])


@pytest.mark.parametrize("path", ["", "backup/", "confirm/", "draw/", "compose/"])
def test_a_selection_number_too_long_for_the_database_is_not_found(citizen_client, path):
    url = f"/plates/s/{'9' * 25}/{path}"
    assert (
        citizen_client.post(url, {"action": "confirm", "number_id": 1, "batch": 1, "number": "苏HA0000"}).status_code
        == 404
    )
    assert citizen_client.get(f"/plates/s/{'9' * 18}/{path}").status_code in (404, 405)
