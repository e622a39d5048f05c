"""The hold: deadline in working days, abandon, lapse, the 2-year ban, reminders, registration."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notices.models import Notice
from plates import selectors, services
from plates.models import Ban, Hold, PlateNumber
from portal import identity
from portal.models import Vehicle
from tests.plates.conftest import at, confirmed_hold, drawn_backup, new_vehicle, on, set_city, verified_selection

pytestmark = pytest.mark.django_db


def hold_on(day, citizen, has, hour=10):
    """Select and confirm a number on `day` (second SMS off: the code step is tested elsewhere)."""
    set_city(has, "plate_second_sms", False)
    with on(day, hour):
        selection = verified_selection(citizen, new_vehicle(citizen, has))
        return confirmed_hold(selection)


def test_hold_runs_over_the_weekend_to_the_third_working_day(citizen, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)  # a Friday
    assert services.deadline_day(hold) == datetime.date(2026, 11, 25)


def test_hold_runs_over_national_day_and_counts_the_make_up_saturday(citizen, has, pool):
    # 30 Sep; 1-7 Oct holidays; 8, 9 Oct working days; Saturday 10 Oct is a make-up working day.
    hold = hold_on(datetime.date(2026, 9, 30), citizen, has)
    assert services.deadline_day(hold) == datetime.date(2026, 10, 10)


def test_sweep_lapses_a_hold_after_its_last_day_bans_and_returns_the_number(citizen, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 25), 23, 59):
        services.sweep()
        assert Hold.objects.get().status == "held"
    with on(datetime.date(2026, 11, 26), 0, 0, 1):
        assert services.sweep()["holds_lapsed"] == 1
        assert services.sweep()["holds_lapsed"] == 0  # a second run changes nothing
    hold.refresh_from_db()
    assert hold.status == "lapsed"
    assert hold.history.order_by("-history_id").first().status == "lapsed"  # the set-based sweep keeps the audit trail
    assert PlateNumber.objects.get(pk=hold.number_id).status == "available"
    ban = Ban.objects.get()
    assert ban.id_number == citizen.id_number and ban.hold == hold
    assert (
        Notice.objects.filter(kind="plates.hold_lapsed", id_number_hash=identity.id_key(citizen.id_number)).count() == 1
    )


def test_ban_runs_two_years_from_the_preselection_to_the_end_of_its_last_day(citizen, client, has, pool):
    """docs/rules.md §2: the ban runs from the online preselection (20 Nov 2026), not from the day
    the hold lapsed (26 Nov); its last day is 20 Nov 2028, to midnight."""
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 27)):
        services.sweep()
    ban = Ban.objects.get(hold=hold)
    assert ban.starts_at == hold.created_at == at(datetime.date(2026, 11, 20), 10)
    assert ban.last_day == datetime.date(2028, 11, 20)
    vehicle = new_vehicle(citizen, has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    data = {"accept": "on", "vin": vehicle.vin, "cert_number": vehicle.conformity_cert_number}
    with on(datetime.date(2028, 11, 20), 23, 59, 59):
        client.force_login(citizen)
        page = client.post(reverse("plates:start"), data)
        body = page.content.decode()
        assert "2028-11-20（含当日）前不能通过互联网预选号牌" in body
        assert 'data-testid="ban"' in body
    with on(datetime.date(2028, 11, 21), 0, 0, 0):
        client.force_login(citizen)
        assert selectors.active_ban(citizen.id_number) is None
        assert client.post(reverse("plates:start"), data).status_code == 302


def test_a_ban_from_a_leap_day_ends_on_the_28th_of_february(citizen, has, pool):
    with on(datetime.date(2028, 2, 29)):
        hold = hold_on(datetime.date(2028, 2, 29), citizen, has)
        services.hold_abandon(hold, citizen=citizen)
    ban = Ban.objects.get(hold=hold)
    assert ban.last_day == datetime.date(2030, 2, 28)
    assert ban.ends_at == at(datetime.date(2030, 3, 1), 0)


def test_abandon_through_http_bans_and_frees_the_number(citizen_client, citizen, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    url = reverse("plates:abandon", args=[hold.pk])
    citizen_client.post(url, {})  # without the confirmation tick nothing happens
    assert Hold.objects.get().status == "held"
    citizen_client.post(url, {"confirm": "yes"})
    hold.refresh_from_db()
    assert hold.status == "abandoned"
    assert PlateNumber.objects.get(pk=hold.number_id).status == "available"
    assert selectors.active_ban(citizen.id_number) is not None
    assert Notice.objects.filter(kind="plates.hold_abandoned").count() == 1


def test_holder_is_reminded_once_a_day_before_the_deadline(citizen, has, pool):
    hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 24), 23, 0):
        assert services.sweep()["reminders"] == 0
    with on(datetime.date(2026, 11, 25), 0, 30):
        assert services.sweep()["reminders"] == 1
        assert services.sweep()["reminders"] == 0
    assert Notice.objects.filter(kind="plates.hold_expiring").count() == 1


def test_register_gives_the_vehicle_its_plate_and_ends_the_hold(citizen, clerk_has, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 23)):
        services.hold_register(hold, clerk=clerk_has)
    hold.refresh_from_db()
    vehicle = Vehicle.objects.get(pk=hold.vehicle_id)
    assert hold.status == "registered" and vehicle.plate_number == hold.number.number and vehicle.status == "normal"
    assert PlateNumber.objects.get(pk=hold.number_id).status == "registered"
    with pytest.raises(services.PlateError):
        services.hold_register(hold, clerk=clerk_has)


def test_an_expired_hold_cannot_be_registered(citizen, clerk_has, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 26)), pytest.raises(services.PlateError):
        services.hold_register(hold, clerk=clerk_has)


def test_vehicle_with_a_hold_cannot_start_again(citizen_client, citizen, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    page = citizen_client.post(
        reverse("plates:start"),
        {"accept": "on", "vin": hold.vehicle.vin, "cert_number": hold.vehicle.conformity_cert_number},
    )
    assert f"该车辆已预选号码 {hold.number.number}" in page.content.decode()


def test_one_device_selecting_for_many_citizens_is_flagged_and_needs_invoice_and_approval(has, pool, clerk_has):
    from tests import factories

    set_city(has, "plate_second_sms", False)
    holds = []
    with on(datetime.date(2026, 11, 23), 10):
        for _ in range(3):
            person = factories.UserFactory()
            selection = verified_selection(person, new_vehicle(person, has), ip="10.9.9.9", device="dev-1")
            holds.append(confirmed_hold(selection))
    assert [h.flagged for h in holds] == [False, False, True]
    flagged = holds[2]
    assert Notice.objects.filter(kind="plates.hold_flagged").count() == 1
    with on(datetime.date(2026, 11, 23), 11):
        with pytest.raises(services.PlateError, match="发票"):
            services.hold_register(flagged, clerk=clerk_has)
        with pytest.raises(services.PlateError, match="发票"):
            services.hold_approve(flagged, clerk=clerk_has)
        holder = flagged.citizen
        services.hold_upload_invoice(
            flagged, citizen=holder, invoice=SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 test")
        )
        services.hold_approve(flagged, clerk=clerk_has)
        services.hold_register(flagged, clerk=clerk_has)
    flagged.refresh_from_db()
    assert flagged.status == "registered" and flagged.approved_by == clerk_has


def jpeg_bytes() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "JPEG")
    return out.getvalue()


def test_invoice_upload_through_the_voucher_page_checks_the_file(
    citizen_client, citizen, has, pool, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    Hold.objects.filter(pk=hold.pk).update(flagged=True)
    url = reverse("plates:invoice", args=[hold.pk])
    with on(datetime.date(2026, 11, 23)):
        page = citizen_client.post(url, {"invoice": SimpleUploadedFile("x.exe", b"MZ")})
        assert page.status_code == 200 and "请上传 PDF、JPG 或 PNG 文件" in page.content.decode()
        # Checked by content (portal.uploads): JPEG magic bytes alone are not a picture.
        page = citizen_client.post(url, {"invoice": SimpleUploadedFile("invoice.jpg", b"\xff\xd8\xff")})
        assert "请上传 PDF、JPG 或 PNG 文件" in page.content.decode()
        citizen_client.post(url, {"invoice": SimpleUploadedFile("invoice.jpg", jpeg_bytes())})
    hold.refresh_from_db()
    assert hold.invoice_uploaded_at is not None


def test_other_citizens_cannot_see_a_voucher(client, other_citizen, citizen, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(other_citizen)
    assert client.get(reverse("plates:hold", args=[hold.pk])).status_code == 404
    assert client.get(reverse("plates:voucher_pdf", args=[hold.pk])).status_code == 404


def test_deadline_appears_in_the_citizens_calendar(citizen, has, pool):
    from portal import hooks

    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 21)):
        deadlines = [d for d in hooks.deadlines_for(citizen) if d.uid.startswith("plates-hold")]
    assert deadlines and deadlines[0].when == hold.expires_at
    assert at(datetime.date(2026, 11, 25), 23, 59, 59) == hold.expires_at


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_voucher_pdf_renders_in_both_languages(citizen, has, pool, language):
    from django.utils import translation

    from plates import voucher

    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with translation.override(language):
        pdf = voucher.render_pdf(hold, citizen)
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf


def test_a_ban_that_began_during_the_selection_refuses_the_confirmation(citizen, has, pool):
    set_city(has, "plate_second_sms", False)
    with on(datetime.date(2026, 11, 23), 10):
        selection = verified_selection(citizen, new_vehicle(citizen, has))
        number = drawn_backup(selection)
        Ban.objects.create(
            city=has,
            id_number=citizen.id_number,
            starts_at=at(datetime.date(2026, 11, 23), 9),
            ends_at=at(datetime.date(2028, 11, 23), 9),
            reason="test",
        )
        with pytest.raises(services.PlateError, match="不能"):
            services.selection_confirm(selection, number_id=number.pk)
        assert not Hold.objects.exists()
        Ban.objects.update(lifted_at=at(datetime.date(2026, 11, 23), 9, 30))
        assert services.selection_confirm(selection, number_id=number.pk).number_id == number.pk


@pytest.mark.parametrize(
    "sources, flagged",
    [
        ([("10.1.1.1", "dev-2"), ("10.1.1.2", "dev-2"), ("10.1.1.3", "dev-2")], True),  # one device, three addresses
        ([("10.1.1.1", ""), ("10.1.1.2", ""), ("10.1.1.3", "")], False),  # no device key is not "the same device"
        ([("10.1.1.1", "a"), ("10.1.1.2", "b"), ("10.1.1.3", "c")], False),
    ],
)
def test_the_scalper_flag_looks_at_the_device_or_the_address(has, pool, sources, flagged):
    from tests import factories

    set_city(has, "plate_second_sms", False)
    holds = []
    with on(datetime.date(2026, 11, 23), 10):
        for ip, device in sources:
            person = factories.UserFactory()
            selection = verified_selection(person, new_vehicle(person, has), ip=ip, device=device)
            holds.append(confirmed_hold(selection))
    assert holds[-1].flagged is flagged


def test_a_lapsed_holds_page_gives_the_reason_and_the_bans_last_day(citizen_client, citizen, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 26), 0, 0, 1):
        services.sweep()
    with on(datetime.date(2026, 11, 27)):
        body = citizen_client.get(reverse("plates:hold", args=[hold.pk])).content.decode()
    assert "该号码未在最后一天 2026-11-25 结束前办理登记" in body
    assert "自 2026-11-20 预选之日起 2 年内，即 2028-11-20（含当日）前" in body
    notice = Notice.objects.get(kind="plates.hold_lapsed")
    assert "2028-11-20（含当日）前" in notice.body


def test_an_abandoned_holds_page_says_so_and_a_lifted_ban_says_when(citizen_client, citizen, clerk_has, has, pool):
    hold = hold_on(datetime.date(2026, 11, 20), citizen, has)
    with on(datetime.date(2026, 11, 23)):
        services.hold_abandon(hold, citizen=citizen)
        body = citizen_client.get(reverse("plates:hold", args=[hold.pk])).content.decode()
        assert "您已放弃该号码" in body and "2028-11-20（含当日）前" in body
        services.ban_lift(Ban.objects.get(hold=hold), clerk=clerk_has, reason="dealer error")
        body = citizen_client.get(reverse("plates:hold", args=[hold.pk])).content.decode()
    assert "已于 2026-11-23 由车管所解除" in body
