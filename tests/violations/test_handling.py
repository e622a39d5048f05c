"""Online handling: every boundary of docs/rules.md §5.3, decisions, points, and the pages."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from notices.models import Notice
from portal import identity
from portal.models import DrivingLicence
from tests.conftest import last_code
from tests.violations.conftest import D, at, on
from violations import services
from violations.models import Decision, Violation

pytestmark = pytest.mark.django_db


def licence_of(user):
    return DrivingLicence.objects.held_by(user.id_number).get()


def test_fine_of_200_may_be_handled_online_but_200_01_may_not(person, car, record, has):
    owner = person()
    vehicle = car(owner)
    from violations.models import ViolationCode

    ViolationCode.objects.filter(code="1625").update(fine_max=Decimal("2000"))
    with on(D(2026, 7, 2)):
        ok = record(vehicle, fine="200.00", when=at(D(2026, 7, 1), 8))
        over = record(vehicle, fine="200.01", when=at(D(2026, 7, 1), 9))
        licence = licence_of(owner)
        assert services.record_refusals(ok, id_number=owner.id_number, licence=licence) == []
        reasons = services.record_refusals(over, id_number=owner.id_number, licence=licence)
        assert any("200.01" in r and "交警大队" in r for r in reasons)
        with pytest.raises(services.ViolationError):
            services.violation_handle([over.pk], user=owner)
        (decision,) = services.violation_handle([ok.pk], user=owner)
    assert decision.fine == Decimal("200.00")


def test_points_11_plus_new_must_stay_below_12(person, car, record):
    # 5 points now + a 6-point record = 11: allowed; 6 + 6 = 12: refused.
    below, at_limit = person(points=5), person(points=6)
    with on(D(2026, 7, 2)):
        first = record(car(below), when=at(D(2026, 7, 1)))
        second = record(car(at_limit), when=at(D(2026, 7, 1)))
        services.violation_handle([first.pk], user=below)
        with pytest.raises(services.ViolationError) as exc:
            services.violation_handle([second.pk], user=at_limit)
    assert licence_of(below).points == 11
    assert licence_of(at_limit).points == 6
    assert "12" in exc.value.message
    assert Violation.objects.get(pk=second.pk).status == "unhandled"


def test_several_records_handled_together_add_their_points(person, car, record):
    owner = person(points=0)
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        records = [record(vehicle, when=at(D(2026, 7, 1), 8 + i)) for i in range(2)]  # 6 + 6
        with pytest.raises(services.ViolationError) as exc:
            services.violation_handle([r.pk for r in records], user=owner)
        assert "12" in exc.value.message
        services.violation_handle([records[0].pk], user=owner)
    assert licence_of(owner).points == 6


def test_on_site_tickets_suspension_codes_and_abnormal_licences_are_refused_with_where_to_go(person, car, record):
    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        ticket = record(vehicle, source="onsite", when=at(D(2026, 7, 1), 8))
        drunk = record(vehicle, code_value="1711", when=at(D(2026, 7, 1), 9))
    licence = licence_of(owner)
    assert any(
        "现场" in r or "On-site" in r
        for r in services.record_refusals(ticket, id_number=owner.id_number, licence=licence)
    )
    assert any("交警大队" in r for r in services.record_refusals(drunk, id_number=owner.id_number, licence=licence))
    DrivingLicence.objects.filter(pk=licence.pk).update(status="seized")
    licence.refresh_from_db()
    with on(D(2026, 7, 2)):
        fresh = record(vehicle, when=at(D(2026, 7, 1), 10))
    assert any("交警大队" in r for r in services.record_refusals(fresh, id_number=owner.id_number, licence=licence))


def test_a_clerks_edit_of_a_violation_code_reaches_the_next_handling(person, car, record):
    """A handling reads the code's flags from the per-process copy of the catalogue: an edit
    saved in the admin clears it, so the next handling refuses what the code no longer allows."""
    from violations.models import ViolationCode
    from violations.selectors import code_by_id

    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        violation = record(vehicle, when=at(D(2026, 7, 1), 8))
    assert code_by_id(violation.code_id).online_allowed  # the serving process holds the row
    code = ViolationCode.objects.get(pk=violation.code_id)
    code.online_allowed = False
    code.save()
    with on(D(2026, 7, 2)), pytest.raises(services.ViolationError) as refused:
        services.violation_handle([violation.pk], user=owner)
    assert any("交警大队" in r for r in refused.value.reasons)
    assert not Decision.objects.filter(violation=violation).exists()


def test_bound_driver_handles_only_records_after_the_binding_date_and_only_small_cars(person, car, record, bind):
    owner, driver = person(), person()
    vehicle = car(owner)
    bound_at = at(D(2026, 7, 1), 12, 0, 0)
    bind(vehicle, driver, approved_at=bound_at)
    with on(D(2026, 7, 3)):
        before = record(vehicle, when=bound_at - datetime.timedelta(seconds=1))
        after = record(vehicle, when=bound_at + datetime.timedelta(seconds=1))
        licence = licence_of(driver)
        assert any(
            "registered" in r or "备案" in r or "之前" in r
            for r in services.record_refusals(before, id_number=driver.id_number, licence=licence)
        )
        assert services.record_refusals(after, id_number=driver.id_number, licence=licence) == []
        (decision,) = services.violation_handle([after.pk], user=driver)
    assert decision.handler_name == driver.real_name
    assert licence_of(driver).points == 6 and licence_of(owner).points == 0
    truck_owner = person()
    truck = car(truck_owner, plate_type="01")
    bind(truck, driver, approved_at=bound_at)
    with on(D(2026, 7, 3)):
        late = record(truck, when=bound_at + datetime.timedelta(hours=1))
    assert any(
        "small" in r or "小型" in r
        for r in services.record_refusals(late, id_number=driver.id_number, licence=licence_of(driver))
    )


def test_my_violations_page_shows_bound_vehicles_only_after_the_binding_date(client, person, car, record, bind, has):
    owner, driver = person(), person()
    vehicle = car(owner)
    bound_at = at(D(2026, 7, 1), 12)
    bind(vehicle, driver, approved_at=bound_at)
    with on(D(2026, 7, 3)):
        before = record(vehicle, when=bound_at - datetime.timedelta(seconds=1))
        after = record(vehicle, when=bound_at + datetime.timedelta(seconds=1))
        client.defaults["HTTP_HOST"] = "has.localhost"
        client.force_login(driver)
        page = client.get("/violations/").content.decode()
        assert f"violation-{after.pk}" in page and f"violation-{before.pk}" not in page
        client.force_login(owner)
        page = client.get("/violations/").content.decode()
        assert f"violation-{after.pk}" in page and f"violation-{before.pk}" in page


def test_handling_issues_a_decision_records_points_and_notifies(person, car, record):
    owner = person(points=0)
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        violation = record(vehicle, when=at(D(2026, 7, 1)))
        (decision,) = services.violation_handle([violation.pk], user=owner)
    violation.refresh_from_db()
    assert violation.status == "decided"
    assert decision.due_on == D(2026, 7, 17)
    assert decision.number.startswith("320800")
    assert licence_of(owner).points == 6
    assert Notice.objects.filter(kind="violations.decided", id_number_hash=identity.id_key(owner.id_number)).exists()
    assert violation.history.first().history_user == owner


def test_the_handle_page_confirms_with_an_sms_code_and_shows_the_decision(client, person, car, record):
    owner = person()
    vehicle = car(owner)
    violation = record(vehicle, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    page = client.post("/violations/handle/", {"ids": str(violation.pk), "send_code": "1"})
    assert page.status_code == 200
    wrong = client.post("/violations/handle/", {"ids": str(violation.pk), "confirm": "1", "code": "000000"})
    assert wrong.status_code == 200 and Violation.objects.get(pk=violation.pk).status == "unhandled"
    done = client.post(
        "/violations/handle/", {"ids": str(violation.pk), "confirm": "1", "code": last_code(owner.mobile)}, follow=True
    )
    decision = Decision.objects.get(violation=violation)
    body = done.content.decode()
    assert decision.number in body and "行政复议" in body
    pdf = client.get(f"/violations/decision/{decision.number}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Another citizen cannot see it.
    client.force_login(person())
    assert client.get(f"/violations/decision/{decision.number}/").status_code == 404


def test_a_confirmation_of_records_not_the_citizens_handles_nothing_and_names_none(client, person, car, record, bind):
    """The confirmation goes straight to the handling (the page does not read the records
    first): someone else's record, or a bound car's record from before the binding, is refused
    as not existing, spends no code and shows neither plate nor time."""
    owner, driver, stranger = person(), person(), person()
    vehicle = car(owner)
    now = datetime.datetime.now(datetime.UTC)
    bind(vehicle, driver, approved_at=now - datetime.timedelta(hours=1))
    before = record(vehicle, when=now - datetime.timedelta(hours=2))
    after = record(vehicle, when=now - datetime.timedelta(minutes=30))
    client.defaults["HTTP_HOST"] = "has.localhost"
    for user, ids in ((stranger, [before.pk]), (driver, [before.pk]), (driver, [after.pk, before.pk])):
        client.force_login(user)
        client.post("/violations/handle/", {"ids": str(after.pk), "send_code": "1"})
        code = last_code(user.mobile) if user is driver else "123456"
        response = client.post(
            "/violations/handle/", {"ids": ",".join(map(str, ids)), "confirm": "1", "code": code}, follow=True
        )
        body = response.content.decode()
        if user is stranger:
            assert vehicle.plate_number not in body
        assert f"{timezone.localtime(before.occurred_at):%Y-%m-%d %H:%M}" not in body
        assert not Decision.objects.exists()
    # The driver's code was not spent by the refusals: it handles the record they may handle.
    client.force_login(driver)
    done = client.post("/violations/handle/", {"ids": str(after.pk), "confirm": "1", "code": last_code(driver.mobile)})
    assert done.status_code == 302 and Decision.objects.get().violation_id == after.pk


def test_refusal_on_the_page_says_why_and_where_to_go(client, person, car, record):
    owner = person(points=9)
    vehicle = car(owner)
    violation = record(vehicle, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    page = client.post("/violations/handle/", {"ids": str(violation.pk)}).content.decode()
    assert "交警大队" in page and "12" in page


def test_the_decision_pdf_is_english_on_the_english_site(person, car, record):
    from violations import pdf

    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        (decision,) = services.violation_handle([record(vehicle, when=at(D(2026, 7, 1))).pk], user=owner)
    english = pdf.decision_text(decision)
    from django.utils import translation

    with translation.override("zh-hans"):
        chinese = pdf.decision_text(decision)
    with translation.override("en"):
        english = pdf.decision_text(decision)
    assert "行政复议" in " ".join(chinese["paragraphs"]) and "处罚决定书" in chinese["title"]
    assert "administrative review" in " ".join(english["paragraphs"]) and "Decision" in english["title"]
    assert pdf.decision_pdf(decision, "en").startswith(b"%PDF")


def test_unpaid_fines_appear_in_the_calendar_feed_and_watch_reasons_on_the_page(client, person, car, record):
    from portal import hooks
    from violations.models import WatchEntry

    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        (decision,) = services.violation_handle([record(vehicle, when=at(D(2026, 7, 1))).pk], user=owner)
        items = [d for d in hooks.deadlines_for(owner) if d.uid == f"violations-decision-{decision.pk}"]
    assert items and items[0].when == decision.due_on
    with on(D(2026, 7, 3)):
        second = record(vehicle, when=at(D(2026, 7, 2)))
    WatchEntry.objects.create(
        city=vehicle.city, vehicle=vehicle, reason="drivers_per_plate", detail="3 drivers", listed_at=at(D(2026, 7, 2))
    )
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    page = client.get("/violations/").content.decode()
    assert "重点人员名单" in page and "窗口" in page
    assert f'value="{second.pk}"' not in page  # no checkbox: it cannot be handled online


def test_the_code_is_checked_in_the_handlings_transaction_after_the_rules(client, person, car, record):
    """A wrong code is counted and handles nothing; a confirmation the watch list refuses leaves
    the code unspent (the rules are checked first, under the locks), so it still confirms once
    the entry is cleared."""
    from portal.models import SmsCode
    from violations.models import WatchEntry

    owner = person()
    vehicle = car(owner)
    violation = record(vehicle, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    client.post("/violations/handle/", {"ids": str(violation.pk), "send_code": "1"})
    code = last_code(owner.mobile)
    sms = SmsCode.objects.filter(mobile=owner.mobile, purpose=services.handling.HANDLE_PURPOSE).get()
    wrong = client.post("/violations/handle/", {"ids": str(violation.pk), "confirm": "1", "code": "000000"})
    assert wrong.status_code == 200 and 'data-testid="refusals"' not in wrong.content.decode()
    sms.refresh_from_db()
    assert sms.attempts == 1 and sms.used_at is None
    assert Violation.objects.get(pk=violation.pk).status == "unhandled"

    entry = WatchEntry.objects.create(
        city=vehicle.city,
        vehicle=vehicle,
        reason="drivers_per_plate",
        detail="3 drivers",
        listed_at=violation.entered_at,
    )
    refused = client.post("/violations/handle/", {"ids": str(violation.pk), "confirm": "1", "code": code})
    assert refused.status_code == 200 and "重点人员名单" in refused.content.decode()
    sms.refresh_from_db()
    assert sms.used_at is None and sms.attempts == 1
    assert not Decision.objects.filter(violation=violation).exists()

    services.watch_clear(entry, reason="核实为本人驾驶", by=None)
    done = client.post("/violations/handle/", {"ids": str(violation.pk), "confirm": "1", "code": code})
    assert done.status_code == 302 and "/decision/" in done["Location"]
    sms.refresh_from_db()
    assert sms.used_at is not None
    assert Decision.objects.filter(violation=violation).count() == 1


def test_my_violations_page_shows_for_each_record_the_refusals_record_refusals_gives(client, person, car, record, bind):
    """The page reads its records as plain values and asks services.unhandled_refusals; the
    handling asks services.record_refusals of model instances: the same reasons, record by
    record, for an owner and a bound driver (before and after the binding, a truck, an on-site
    ticket, a fine above the limit, a detention code, a licence not in normal status)."""
    import html
    import re

    from violations.models import ViolationCode

    ViolationCode.objects.filter(code="1625").update(fine_max=Decimal("2000"))
    owner, driver = person(), person(status="seized")
    car_, truck = car(owner), car(owner, plate_type="01")
    bound_at = at(D(2026, 7, 1), 12)
    bind(car_, driver, approved_at=bound_at)
    bind(truck, driver, approved_at=bound_at)
    with on(D(2026, 7, 3)):
        records = [
            record(car_, when=bound_at - datetime.timedelta(seconds=1)),
            record(car_, when=bound_at + datetime.timedelta(hours=1)),
            record(car_, source="onsite", when=bound_at + datetime.timedelta(hours=2)),
            record(car_, fine="200.01", when=bound_at + datetime.timedelta(hours=3)),
            record(car_, code_value="1711", when=bound_at + datetime.timedelta(hours=4)),
            record(truck, when=bound_at + datetime.timedelta(hours=5)),
        ]
        client.defaults["HTTP_HOST"] = "has.localhost"
        for user in (owner, driver):
            client.force_login(user)
            page = client.get("/violations/").content.decode()
            licence = services.handler_licence(user.id_number)
            seen = 0
            for r in Violation.objects.filter(pk__in=[r.pk for r in records]):
                row = re.search(rf'<tr data-testid="violation-{r.pk}">(.*?)</tr>', page, re.S)
                if row is None:  # before the binding: the driver does not see it
                    assert user == driver and r.occurred_at <= bound_at
                    continue
                seen += 1
                expected = services.record_refusals(r, id_number=user.id_number, licence=licence)
                shown = [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", row.group(1), re.S)]
                assert shown == expected, (user.real_name, r.pk)
                assert (f'value="{r.pk}"' in row.group(1)) == (not expected)
            assert seen == (6 if user == owner else 5)
