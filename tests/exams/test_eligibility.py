"""Every eligibility rule of docs/rules.md §3 at its boundary day (time travel)."""

import datetime

import pytest

from exams import services
from exams.models import ExamRequest, LearnerRecord
from portal import identity
from tests.exams.conftest import on, sit

D = datetime.date
pytestmark = pytest.mark.django_db


def refusals_on(record, plan, day):
    record.refresh_from_db()
    with on(day):
        return services.request_refusals(record, plan)


def test_subject_2_needs_subject_1_first(make_learner, make_plan):
    _, record = make_learner("C1")
    plan = make_plan(D(2026, 7, 20), subject="2")
    assert "须先通过科目一考试。" in refusals_on(record, plan, D(2026, 7, 1))


def test_subject_1_request_is_open_to_a_fresh_applicant(make_learner, make_plan):
    user, record = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)):
        req = services.request_create(plan=plan, id_number=user.id_number)
    assert req.status == ExamRequest.Status.REQUESTED
    assert req.key_time == record.application_accepted_at
    audit = ExamRequest.history.get(id=req.pk)
    assert (audit.history_type, audit.status, audit.draw_hash) == ("+", "requested", req.draw_hash)


# Permit issued Mon 1 June 2026. "满十日" is a working-day period (R-DL art 110): the 10th working
# day after 1 June is 15 June. 二十日/三十日/四十日 are not in art 110's list: calendar days.
@pytest.mark.parametrize(
    ("cls", "subject", "holds_car", "wait", "allowed_from", "unit"),
    [
        ("C1", "2", False, 10, D(2026, 6, 15), "个工作日"),
        ("C2", "2", False, 10, D(2026, 6, 15), "个工作日"),
        ("B2", "2", False, 20, D(2026, 6, 21), "日"),
        ("C2", "3", False, 20, D(2026, 6, 21), "日"),
        ("C1", "3", False, 30, D(2026, 7, 1), "日"),
        ("B2", "3", False, 40, D(2026, 7, 11), "日"),
        ("B2", "3", True, 30, D(2026, 7, 1), "日"),
    ],
)
def test_permit_must_be_held_for_the_class_wait_before_requesting(
    make_learner, make_plan, cls, subject, holds_car, wait, allowed_from, unit
):
    issued = D(2026, 6, 1)
    _, record = make_learner(cls, birth=D(1995, 1, 1), permit_on=issued, holds_car_licence=holds_car)
    plan = make_plan(D(2026, 8, 31), subject=subject, classes=[cls])
    day_before = refusals_on(record, plan, allowed_from - datetime.timedelta(days=1))
    assert any(f"满{wait}{unit}后" in r and f"{allowed_from}起" in r for r in day_before), day_before
    assert refusals_on(record, plan, allowed_from) == []


def test_subject_2_wait_after_the_permit_crosses_national_day_in_working_days(make_learner, make_plan):
    # Permit Tue 29 Sep 2026; working days after it: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (make-up
    # day), 12-16 Oct and 19 Oct, the 10th. Calendar days would have allowed 9 October.
    _, record = make_learner("C1", permit_on=D(2026, 9, 29))
    plan = make_plan(D(2026, 11, 30), subject="2")
    assert any("2026-10-19起" in r for r in refusals_on(record, plan, D(2026, 10, 18)))
    assert refusals_on(record, plan, D(2026, 10, 19)) == []


def test_permit_wait_is_explained_in_chinese_on_the_page(make_learner, make_plan, has_client):
    user, record = make_learner("C1", permit_on=D(2026, 6, 1))
    make_plan(D(2026, 8, 31), subject="2")
    has_client.force_login(user)
    with on(D(2026, 6, 10)):
        page = has_client.get("/exams/")
    assert "学习驾驶证明满10个工作日后" in page.content.decode()


def test_plan_after_the_permit_expires_is_refused(make_learner, make_plan):
    _, record = make_learner("C1", permit_on=D(2023, 9, 1))  # valid until 2026-09-01
    inside = make_plan(D(2026, 9, 1), subject="2")
    outside = make_plan(D(2026, 9, 2), subject="2")
    assert refusals_on(record, inside, D(2026, 8, 20)) == []
    assert any("有效期至" in r for r in refusals_on(record, outside, D(2026, 8, 20)))


def test_new_request_only_10_working_days_after_a_failed_booking(make_learner, make_plan):
    user, record = make_learner("C1", permit_on=D(2026, 5, 4))
    failed = make_plan(D(2026, 6, 15), subject="2")  # Mon; 19-21 June is the Dragon Boat holiday
    sit(failed, [(user, "fail")])
    nxt = make_plan(D(2026, 7, 31), subject="2")
    assert any("10个工作日" in r and "2026-06-30起" in r for r in refusals_on(record, nxt, D(2026, 6, 29)))
    assert refusals_on(record, nxt, D(2026, 6, 30)) == []


def test_failure_wait_crosses_a_holiday_with_a_make_up_working_day(make_learner, make_plan):
    # Failed Tue 29 Sep 2026. Working days after it: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (a make-up
    # working day), 12-16 Oct, 19 Oct (the 10th). In calendar days it would have been 9 October;
    # without the make-up day, 20 October.
    user, record = make_learner("C1", permit_on=D(2026, 5, 4))
    sit(make_plan(D(2026, 9, 29), subject="2"), [(user, "fail")])
    nxt = make_plan(D(2026, 11, 30), subject="2")
    assert any("2026-10-19起" in r for r in refusals_on(record, nxt, D(2026, 10, 18)))
    assert refusals_on(record, nxt, D(2026, 10, 19)) == []


def test_subject_1_failure_has_no_waiting_period(make_learner, make_plan):
    user, record = make_learner("C1")
    sit(make_plan(D(2026, 6, 15)), [(user, "fail")])
    assert refusals_on(record, make_plan(D(2026, 7, 31)), D(2026, 6, 16)) == []


def test_no_show_counts_as_a_failed_booking(make_learner, make_plan):
    user, record = make_learner("C1", permit_on=D(2026, 5, 4))
    plan = make_plan(D(2026, 6, 15), subject="2")
    sit(plan, [(user, "no_show")])
    record.refresh_from_db()
    assert record.subject2_bookings == 1
    assert record.last_cancel_at.date() == D(2026, 6, 15)
    nxt = make_plan(D(2026, 7, 31), subject="2")
    assert refusals_on(record, nxt, D(2026, 6, 29))
    assert refusals_on(record, nxt, D(2026, 6, 30)) == []


def test_at_most_5_bookings_for_subject_2_within_the_permit(make_learner, make_plan):
    _, record = make_learner("C1", permit_on=D(2026, 1, 5), subject2_bookings=5)
    plan = make_plan(D(2026, 7, 31), subject="2")
    assert any("5次预约考试机会已用完" in r for r in refusals_on(record, plan, D(2026, 7, 1)))


def test_fifth_failed_road_test_voids_the_other_passes(make_learner, make_plan):
    user, record = make_learner("C1", permit_on=D(2026, 1, 5), road_bookings=4, subject2_passed_on=D(2026, 3, 2))
    plan = make_plan(D(2026, 6, 15), subject="3")
    sit(plan, [(user, "fail")])
    record.refresh_from_db()
    assert record.status == LearnerRecord.Status.VOID
    assert record.subject1_passed_on is None and record.subject2_passed_on is None
    assert record.road_bookings == 5
    from notices.models import Notice

    assert (
        Notice.objects.filter(kind="exams.passes_voided", id_number_hash=identity.id_key(user.id_number)).count() == 1
    )
    again = make_plan(D(2026, 7, 31), subject="1")
    assert any("作废" in r for r in refusals_on(record, again, D(2026, 7, 1)))


def test_fourth_failure_keeps_the_passes(make_learner, make_plan):
    user, record = make_learner("C1", permit_on=D(2026, 1, 5), road_bookings=3, subject2_passed_on=D(2026, 3, 2))
    sit(make_plan(D(2026, 6, 15), subject="3"), [(user, "fail")])
    record.refresh_from_db()
    assert record.status == LearnerRecord.Status.ACTIVE and record.subject2_passed_on == D(2026, 3, 2)


def test_safe_driving_theory_on_the_day_of_or_after_the_passed_road_test(make_learner, make_plan):
    _, record = make_learner(
        "C1", permit_on=D(2026, 1, 5), subject2_passed_on=D(2026, 3, 2), road_passed_on=D(2026, 7, 15)
    )
    before = make_plan(D(2026, 7, 14), subject="4")
    same_day = make_plan(D(2026, 7, 15), subject="4", starts=14)
    assert any("安全文明驾驶常识" in r for r in refusals_on(record, before, D(2026, 7, 6)))
    assert refusals_on(record, same_day, D(2026, 7, 6)) == []


def test_safe_driving_theory_needs_subject_2_too(make_learner, make_plan):
    _, record = make_learner("C1", permit_on=D(2026, 1, 5), road_passed_on=D(2026, 6, 1))
    assert any(
        "安全文明驾驶常识" in r for r in refusals_on(record, make_plan(D(2026, 7, 15), subject="4"), D(2026, 7, 1))
    )


def test_minimum_age_18_for_c1_is_reached_on_the_birthday(make_learner, make_plan):
    _, record = make_learner("C1", birth=D(2008, 7, 21))
    on_birthday = make_plan(D(2026, 7, 21))
    day_before = make_plan(D(2026, 7, 20))
    assert refusals_on(record, on_birthday, D(2026, 7, 1)) == []
    assert any("年满18周岁" in r for r in refusals_on(record, day_before, D(2026, 7, 1)))


def test_large_truck_is_open_up_to_63(make_learner, make_plan):
    _, record = make_learner("B2", birth=D(1962, 7, 21))
    aged_63 = make_plan(D(2026, 7, 20), classes=["B2"])
    aged_64 = make_plan(D(2026, 7, 21), classes=["B2"])
    assert refusals_on(record, aged_63, D(2026, 7, 1)) == []
    assert any("63" in r for r in refusals_on(record, aged_64, D(2026, 7, 1)))


def test_c1_has_no_upper_age_limit(make_learner, make_plan):
    _, record = make_learner("C1", birth=D(1950, 1, 1))
    assert refusals_on(record, make_plan(D(2026, 7, 20)), D(2026, 7, 1)) == []


def test_one_live_request_per_subject_but_subject_2_and_road_together(make_learner, make_plan):
    user, record = make_learner("C1", permit_on=D(2026, 1, 5))
    s2a, s2b, road = make_plan(D(2026, 7, 20), "2"), make_plan(D(2026, 7, 21), "2"), make_plan(D(2026, 7, 22), "3")
    with on(D(2026, 7, 1)):
        services.request_create(plan=s2a, id_number=user.id_number)
        with pytest.raises(services.ExamError, match="不能重复申请"):
            services.request_create(plan=s2b, id_number=user.id_number)
        services.request_create(plan=road, id_number=user.id_number)
    assert ExamRequest.objects.filter(id_number_hash=identity.id_key(user.id_number), status="requested").count() == 2


def test_a_passed_subject_cannot_be_requested_again(make_learner, make_plan):
    _, record = make_learner("C1", permit_on=D(2026, 1, 5))
    assert "您该科目已考试合格。" in refusals_on(record, make_plan(D(2026, 7, 20)), D(2026, 7, 1))


def test_class_not_examined_in_the_session_is_refused(make_learner, make_plan):
    _, record = make_learner("C2")
    assert any("C2车型" in r for r in refusals_on(record, make_plan(D(2026, 7, 20), classes=["C1"]), D(2026, 7, 1)))


def test_no_learner_record_means_apply_at_the_counter_first(citizen, make_plan):
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)), pytest.raises(services.ExamError, match="窗口办理"):
        services.request_create(plan=plan, id_number=citizen.id_number)
