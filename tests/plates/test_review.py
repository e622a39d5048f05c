"""A flagged hold under review (docs/rules.md §2): once the citizen's invoice is in, the office
has the next step, so the hold cannot lapse however late the clerk looks; the review has its own
time limit in working days, shown in the queue; and only one browser selecting for several
citizens flags a hold, never a shared address."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notices.models import Notice
from plates import services
from plates.models import Ban, Hold
from portal import identity
from tests import factories
from tests.plates.conftest import at, confirmed_hold, new_vehicle, on, set_city, verified_selection

pytestmark = pytest.mark.django_db

FRIDAY = datetime.date(2026, 11, 20)  # selection day; the hold's last day is Wednesday 25 Nov


def flagged_hold(citizen, has):
    set_city(has, "plate_second_sms", False)
    with on(FRIDAY, 10):
        hold = confirmed_hold(verified_selection(citizen, new_vehicle(citizen, has)))
    Hold.objects.filter(pk=hold.pk).update(flagged=True, flag_reason="test")
    hold.refresh_from_db()
    return hold


def invoice():
    return SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 test")


def test_a_flagged_hold_reviewed_late_does_not_lapse_and_the_citizen_gets_the_full_hold_after(
    citizen, clerk_has, has, pool, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    hold = flagged_hold(citizen, has)
    assert services.deadline_day(hold) == datetime.date(2026, 11, 25)
    with on(datetime.date(2026, 11, 25), 22):  # the invoice arrives on the hold's last day
        services.hold_upload_invoice(hold, citizen=citizen, invoice=invoice())
    hold.refresh_from_db()
    # The office's own limit: the end of the first working day after the invoice arrived.
    assert hold.review_due_at == at(datetime.date(2026, 11, 26), 23, 59, 59)
    # The clerk is slow: a week of sweeps past both deadlines lapses nothing and bans nobody.
    for day in range(26, 31):
        with on(datetime.date(2026, 11, day), 0, 0, 1):
            assert services.sweep()["holds_lapsed"] == 0
    hold.refresh_from_db()
    assert hold.status == "held"
    assert not Ban.objects.exists()
    assert not Notice.objects.filter(kind="plates.hold_expiring").exists()  # nothing to remind of
    with on(datetime.date(2026, 11, 30), 9):  # a Monday
        assert hold.review_overdue
        with pytest.raises(services.PlateError):
            services.hold_lapse(hold)  # nor may a clerk lapse it while the office has the step
        services.hold_approve(hold, clerk=clerk_has)
    hold.refresh_from_db()
    # Approved on Monday 30 Nov: the hold runs 3 working days from then, to Thursday 3 Dec.
    assert services.deadline_day(hold) == datetime.date(2026, 12, 3)
    with on(datetime.date(2026, 12, 3), 23, 59):
        assert services.sweep()["holds_lapsed"] == 0
        services.hold_register(hold, clerk=clerk_has)
    hold.refresh_from_db()
    assert hold.status == "registered"


def test_without_an_invoice_a_flagged_hold_lapses_on_its_last_day(citizen, has, pool):
    hold = flagged_hold(citizen, has)
    with on(datetime.date(2026, 11, 26), 0, 0, 1):
        assert services.sweep()["holds_lapsed"] == 1
    hold.refresh_from_db()
    assert hold.status == "lapsed" and Ban.objects.filter(hold=hold).exists()


def test_an_invoice_after_the_last_day_is_refused(citizen, has, pool, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hold = flagged_hold(citizen, has)
    with on(datetime.date(2026, 11, 26), 0, 0, 1), pytest.raises(services.PlateError):
        services.hold_upload_invoice(hold, citizen=citizen, invoice=invoice())
    hold.refresh_from_db()
    assert hold.invoice_uploaded_at is None


def test_the_queue_shows_each_review_due_and_marks_the_late_ones(clerk_client, citizen, has, pool, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hold = flagged_hold(citizen, has)
    with on(datetime.date(2026, 11, 23), 10):
        services.hold_upload_invoice(hold, citizen=citizen, invoice=invoice())
    url = reverse("admin:plates_hold_changelist") + "?review=invoice"
    with on(datetime.date(2026, 11, 24), 10):
        body = clerk_client.get(url).content.decode()
        assert "2026-11-24" in body and "逾期" not in body
    with on(datetime.date(2026, 11, 25), 10):
        body = clerk_client.get(url).content.decode()
        assert "2026-11-24" in body and "逾期" in body


def test_the_voucher_page_says_the_number_waits_for_the_office(citizen_client, citizen, has, pool, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hold = flagged_hold(citizen, has)
    with on(datetime.date(2026, 11, 23), 10):
        services.hold_upload_invoice(hold, citizen=citizen, invoice=invoice())
    with on(datetime.date(2026, 11, 27), 10):
        body = citizen_client.get(reverse("plates:hold", args=[hold.pk])).content.decode()
    assert 'data-testid="review-due"' in body and "2026-11-24" in body
    assert "办理期间号码不会失效" in body


@pytest.mark.parametrize(
    "sources, flagged",
    [
        # One browser (the device cookie) for three citizens from three addresses: one operator.
        ([("10.1.1.1", "dev-2"), ("10.1.1.2", "dev-2"), ("10.1.1.3", "dev-2")], True),
        # Three browsers behind one address (a campus, a company, a carrier's NAT): nobody.
        ([("10.9.9.9", "a"), ("10.9.9.9", "b"), ("10.9.9.9", "c")], False),
        ([("10.9.9.9", ""), ("10.9.9.9", ""), ("10.9.9.9", "")], False),
    ],
)
def test_a_shared_address_alone_flags_nobody(has, pool, sources, flagged):
    set_city(has, "plate_second_sms", False)
    holds = []
    with on(datetime.date(2026, 11, 23), 10):
        for ip, device in sources:
            person = factories.UserFactory()
            holds.append(confirmed_hold(verified_selection(person, new_vehicle(person, has), ip=ip, device=device)))
    assert holds[-1].flagged is flagged
    assert Notice.objects.filter(kind="plates.hold_flagged").count() == int(flagged)


def test_a_refused_invoice_gives_the_step_back_to_the_citizen_who_then_lapses_without_a_new_one(
    citizen, clerk_has, has, pool, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    hold = flagged_hold(citizen, has)
    with on(datetime.date(2026, 11, 24), 10):
        services.hold_upload_invoice(hold, citizen=citizen, invoice=invoice())
    with on(datetime.date(2026, 11, 27), 10):  # Friday, the review a day late
        services.hold_refuse_invoice(hold, clerk=clerk_has)
        with pytest.raises(services.PlateError):
            services.hold_refuse_invoice(hold, clerk=clerk_has)  # nothing awaits review any more
    hold.refresh_from_db()
    assert not hold.under_review and hold.review_due_at is None
    # Three working days from the refusal: Monday, Tuesday, Wednesday 2 December.
    assert services.deadline_day(hold) == datetime.date(2026, 12, 2)
    assert hold.history.order_by("-history_id").first().history_user == clerk_has
    assert (
        Notice.objects.filter(kind="plates.invoice_refused", id_number_hash=identity.id_key(citizen.id_number)).count()
        == 1
    )
    with on(datetime.date(2026, 12, 2), 23, 59):
        assert services.sweep()["holds_lapsed"] == 0
    with on(datetime.date(2026, 12, 3), 0, 0, 1):
        assert services.sweep()["holds_lapsed"] == 1
    assert Ban.objects.filter(hold=hold).exists()
