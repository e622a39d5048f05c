"""Publication, the booking window, the ranked draw and what happens to seats after it."""

import datetime
import hashlib

import pytest

from exams import rules, services
from exams.models import ExamPlan, ExamRequest, LearnerRecord
from notices.models import Notice
from portal import identity
from portal.models import CitySetting, Holiday
from tests.exams.conftest import at, on, sit

D = datetime.date
pytestmark = pytest.mark.django_db


# --- Publication and the window -----------------------------------------------------------------
def test_plan_can_be_published_10_working_days_before_the_exam_not_9(make_plan):
    plan = make_plan(D(2026, 7, 20), publish=False)  # Monday; two weekends in the 10 working days
    with on(D(2026, 7, 7)), pytest.raises(services.ExamError, match="至少提前10个工作日.*2026-07-06"):
        services.plan_publish(plan)
    with on(D(2026, 7, 6)):
        services.plan_publish(plan)
    plan.refresh_from_db()
    assert plan.status == ExamPlan.Status.PUBLISHED and len(plan.seed) == 64


def test_publication_lead_counts_working_days_over_national_day_and_its_make_up_days(make_plan):
    # Exam Mon 12 Oct 2026. Working days before it: Sat 10 Oct (make-up), 9, 8, 30 Sep, 29, 28,
    # 24, 23, 22 and 21 Sep (25-27 Sep and 1-7 Oct are holidays, Sun 20 Sep is a make-up day).
    # Counted in calendar days the plan could have been published until 2 October.
    plan = make_plan(D(2026, 10, 12), publish=False)
    with on(D(2026, 9, 22)), pytest.raises(services.ExamError, match="2026-09-21"):
        services.plan_publish(plan)
    with on(D(2026, 9, 21)):
        services.plan_publish(plan)
    assert ExamPlan.objects.get(pk=plan.pk).status == ExamPlan.Status.PUBLISHED


def test_window_closes_3_working_days_before_across_a_weekend(make_learner, make_plan):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 6, 9))  # Tuesday: Mon 8, Fri 5, Thu 4
    assert plan.closes_on == D(2026, 6, 4)
    with on(D(2026, 6, 3), 23, 59):
        services.request_create(plan=plan, id_number=user.id_number)
    other, _ = make_learner("C1")
    with on(D(2026, 6, 4), 0, 1), pytest.raises(services.ExamError, match="截止预约"):
        services.request_create(plan=plan, id_number=other.id_number)


def test_window_closes_3_working_days_before_across_a_holiday(make_plan):
    for day in (19, 20, 21):
        Holiday.objects.get_or_create(date=D(2026, 6, day), defaults={"kind": "holiday", "name": "端午节"})
    plan = make_plan(D(2026, 6, 23))  # Tue; Mon 22, (Sun-Fri holiday), Thu 18, Wed 17
    assert plan.closes_on == D(2026, 6, 17)


def test_the_draw_runs_only_once_the_window_has_closed(make_learner, make_plan):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 6, 9))
    with on(D(2026, 6, 1)):
        services.request_create(plan=plan, id_number=user.id_number)
    with on(D(2026, 6, 3), 23):
        assert services.sweep()["allocated"] == 0
    with on(D(2026, 6, 4), 0, 5):
        assert services.sweep()["allocated"] == 1


# --- The ranking key ----------------------------------------------------------------------------
def test_ranking_key_is_application_time_then_last_exam_then_later_self_cancellation(make_learner):
    _, record = make_learner("C1", accepted=at(D(2026, 1, 5), 9))
    assert services.record_key_time(record) == at(D(2026, 1, 5), 9)
    record.last_exam_on = D(2026, 3, 2)
    assert services.record_key_time(record) == at(D(2026, 3, 2), 0)
    record.last_cancel_at = at(D(2026, 2, 1))
    assert services.record_key_time(record) == at(D(2026, 3, 2), 0)  # the later one wins
    record.last_cancel_at = at(D(2026, 4, 1))
    assert services.record_key_time(record) == at(D(2026, 4, 1))


def test_earlier_application_gets_the_seat(make_learner, make_plan):
    late, _ = make_learner("C1", accepted=at(D(2026, 3, 1)))
    early, _ = make_learner("C1", accepted=at(D(2026, 2, 1)))
    reqs = sit(make_plan(D(2026, 7, 20), capacity=1), [(late, None), (early, None)])
    assert [r.status for r in reqs] == ["not_allocated", "allocated"]
    assert [r.rank for r in reqs] == [2, 1]


def test_withdrawal_online_ranks_the_candidate_later_next_time(make_learner, make_plan):
    first, record = make_learner("C1", accepted=at(D(2026, 2, 1)))
    second, _ = make_learner("C1", accepted=at(D(2026, 3, 1)))
    plan_a = make_plan(D(2026, 7, 20), capacity=1)
    with on(D(2026, 7, 1)):
        req = services.request_create(plan=plan_a, id_number=first.id_number)
        assert services.request_rank(req) == 1
        services.request_withdraw(req, id_number=first.id_number)
    req.refresh_from_db()
    assert req.status == ExamRequest.Status.WITHDRAWN
    record.refresh_from_db()
    assert record.last_cancel_at == at(D(2026, 7, 1))
    plan_b = make_plan(D(2026, 7, 21), capacity=1)
    reqs = sit(plan_b, [(first, None), (second, None)])
    assert [r.status for r in reqs] == ["not_allocated", "allocated"]


def test_withdrawal_is_refused_after_the_window_closes(make_learner, make_plan):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 6, 9))
    with on(D(2026, 6, 1)):
        req = services.request_create(plan=plan, id_number=user.id_number)
    with on(D(2026, 6, 4)), pytest.raises(services.ExamError):
        services.request_withdraw(req, id_number=user.id_number)


def test_current_rank_while_open_follows_the_key(make_learner, make_plan):
    plan = make_plan(D(2026, 7, 20), capacity=1)
    users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(3)]
    with on(D(2026, 7, 1)):
        reqs = [services.request_create(plan=plan, id_number=u.id_number) for u in reversed(users)]
    assert [services.request_rank(r) for r in reqs] == [3, 2, 1]


def test_permit_with_under_6_months_left_gets_one_priority_booking_per_subject(make_learner, make_plan):
    # Permit valid until 2027-01-05: 6 months before is 2026-07-05.
    prio, record = make_learner("C1", permit_on=D(2024, 1, 5), accepted=at(D(2023, 12, 1)))
    record.last_exam_on = D(2026, 5, 1)  # a recent exam: would rank last without priority
    record.save()
    other, _ = make_learner("C1", permit_on=D(2026, 1, 5))
    plan = make_plan(D(2026, 7, 31), subject="2", capacity=1)
    with on(D(2026, 7, 5)):
        assert services.record_has_priority(record, "2", D(2026, 7, 5)) is False
    with on(D(2026, 7, 6)):
        assert services.record_has_priority(record, "2", D(2026, 7, 6)) is True
        services.request_create(plan=plan, id_number=prio.id_number)
        services.request_create(plan=plan, id_number=other.id_number)
    with on(plan.closes_on):
        services.sweep()
    assert ExamRequest.objects.get(plan=plan, id_number_hash=identity.id_key(prio.id_number)).status == "allocated"
    record.refresh_from_db()
    assert record.priority_used == ["2"]
    assert services.record_has_priority(record, "2", D(2026, 8, 1)) is False
    assert services.record_has_priority(record, "3", D(2026, 8, 1)) is True


# --- The draw: committed at publication, revealed at closing, re-run by anyone -----------------
def test_seed_is_secret_while_requests_are_taken_and_only_its_commitment_is_public(
    make_learner, make_plan, has_client, clerk_client
):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    assert plan.seed_commitment == hashlib.sha256(plan.seed.encode()).hexdigest()
    with on(plan.closes_on - datetime.timedelta(days=1), 23, 59):
        services.request_create(plan=plan, id_number=user.id_number)
        pages = [
            has_client.get(f"/exams/public/plans/{plan.pk}/").content.decode(),
            has_client.get(f"/exams/public/plans/{plan.pk}/?format=json").content.decode(),
            has_client.get("/exams/").content.decode(),
            has_client.get("/exams/public/").content.decode(),
            clerk_client.get(f"/admin/exams/examplan/{plan.pk}/change/").content.decode(),
        ]
        published = has_client.get(f"/exams/public/plans/{plan.pk}/?format=json").json()
    assert all(plan.seed not in page for page in pages)
    assert plan.seed_commitment in pages[0] and plan.seed_commitment in pages[4]
    assert published["seed"] is None and published["seed_revealed"] is False
    assert published["commitment"] == plan.seed_commitment
    # From the closing day no request can be made: the seed is revealed even before the draw runs.
    with on(plan.closes_on, 0, 1):
        published = has_client.get(f"/exams/public/plans/{plan.pk}/?format=json").json()
    assert published["seed"] == plan.seed
    assert published["verification"]["seed_matches_commitment"] is True


def test_changing_the_seed_after_publication_is_detected(make_learner, make_plan, has_client):
    users = [make_learner("C1", accepted=at(D(2026, 2, 1)))[0] for _ in range(4)]
    plan = make_plan(D(2026, 7, 20), capacity=2)
    sit(plan, [(u, None) for u in users])
    with on(plan.date):
        honest = has_client.get(f"/exams/public/plans/{plan.pk}/?format=json").json()
        assert honest["verification"] == {"seed_matches_commitment": True, "hashes_match": True, "order_matches": True}
        assert 'data-testid="verified"' in has_client.get(f"/exams/public/plans/{plan.pk}/").content.decode()
        # Someone with database access swaps the seed after publication (say, for one that puts a
        # friend first): it no longer hashes to the commitment everyone saw at publication.
        ExamPlan.objects.filter(pk=plan.pk).update(seed="0" * 64)
        forged = has_client.get(f"/exams/public/plans/{plan.pk}/?format=json").json()
        html = has_client.get(f"/exams/public/plans/{plan.pk}/").content.decode()
    assert forged["seed"] == "0" * 64
    assert hashlib.sha256(forged["seed"].encode()).hexdigest() != forged["commitment"]
    assert forged["verification"]["seed_matches_commitment"] is False
    assert forged["verification"]["hashes_match"] is False
    assert 'data-testid="tampered"' in html and 'data-testid="verified"' not in html


def test_ties_are_broken_by_the_committed_seed_and_anyone_can_rerun_the_draw(make_learner, make_plan, has_client):
    same_time = at(D(2026, 2, 1))
    users = [make_learner("C1", accepted=same_time)[0] for _ in range(12)]
    plan = make_plan(D(2026, 7, 20), capacity=5)
    sit(plan, [(u, None) for u in users])
    html = has_client.get(f"/exams/public/plans/{plan.pk}/").content.decode()
    assert plan.seed in html and all(u.id_number not in html for u in users)
    # Ranking times to the second, never with microseconds.
    assert "2026-02-01 10:00:00" in html and "+08:00" not in html
    published = has_client.get(f"/exams/public/plans/{plan.pk}/?format=json").json()
    assert published["seed"] == plan.seed and published["drawn"] is True
    assert hashlib.sha256(published["seed"].encode()).hexdigest() == published["commitment"]
    # Re-run with nothing but the public data: the same order, the same five seats.
    entries = [
        rules.Entry(r["number"], r["priority"], datetime.datetime.fromisoformat(r["key_time"]))
        for r in published["requests"]
    ]
    rerun = [e.number for e in rules.rank(entries, published["seed"])]
    assert rerun == [r["number"] for r in published["requests"]]
    assert [r["status"] for r in published["requests"]] == ["allocated"] * 5 + ["not_allocated"] * 7
    assert all("*" in r["name"] for r in published["requests"])
    assert all(r["hash"] == rules.draw_hash(plan.seed, r["number"]) for r in published["requests"])


def test_rank_puts_priority_first_then_key_then_hash():
    t1, t2 = at(D(2026, 1, 1)), at(D(2026, 1, 2))
    entries = [
        rules.Entry("1-0000001", False, t2),
        rules.Entry("1-0000002", False, t1),
        rules.Entry("1-0000003", True, t2),
    ]
    assert [e.number for e in rules.rank(entries, "seed")] == ["1-0000003", "1-0000002", "1-0000001"]
    tied = [rules.Entry(f"1-{i:07d}", False, t1) for i in range(20)]
    order = [e.number for e in rules.rank(tied, "a" * 64)]
    assert order == sorted(order, key=lambda n: rules.draw_hash("a" * 64, n))
    assert order != [e.number for e in rules.rank(tied, "b" * 64)]


def test_allocation_is_idempotent_and_never_exceeds_capacity(make_learner, make_plan):
    plan = make_plan(D(2026, 7, 20), capacity=3)
    users = [make_learner("C1")[0] for _ in range(7)]
    with on(D(2026, 7, 1)):
        for u in users:
            services.request_create(plan=plan, id_number=u.id_number)
    with on(plan.closes_on):
        assert services.plan_allocate(plan) is True
        before = list(ExamRequest.objects.filter(plan=plan).order_by("id").values_list("status", "rank"))
        assert services.plan_allocate(plan) is False
        services.sweep()
    after = list(ExamRequest.objects.filter(plan=plan).order_by("id").values_list("status", "rank"))
    assert before == after
    assert [s for s, _ in after].count("allocated") == 3
    assert Notice.objects.filter(kind="exams.allocated").count() == 3
    assert Notice.objects.filter(kind="exams.not_allocated").count() == 4
    with on(plan.closes_on, 12):
        services.sweep()
    assert Notice.objects.filter(kind__in=["exams.allocated", "exams.not_allocated"]).count() == 7


# --- After the draw -----------------------------------------------------------------------------
def test_counter_cancellation_up_to_1_working_day_before_and_the_seat_is_offered(make_learner, make_plan, clerk_has):
    a, rec_a = make_learner("C1", accepted=at(D(2026, 2, 1)))
    b, _ = make_learner("C1", accepted=at(D(2026, 2, 2)))
    c, _ = make_learner("C1", accepted=at(D(2026, 2, 3)))
    plan = make_plan(D(2026, 6, 15), capacity=1)  # Monday: last cancellation day is Friday 12th
    req_a, req_b, req_c = sit(plan, [(a, None), (b, None), (c, None)])
    assert req_a.status == "allocated"
    with on(D(2026, 6, 13)), pytest.raises(services.ExamError, match="2026-06-12"):
        services.booking_cancel(req_a, actor=clerk_has)
    with on(D(2026, 6, 12), 16):
        services.booking_cancel(req_a, actor=clerk_has)
    req_a.refresh_from_db(), req_b.refresh_from_db(), rec_a.refresh_from_db()
    assert req_a.status == "cancelled"
    assert rec_a.last_cancel_at == at(D(2026, 6, 12), 16)  # a self-cancellation for the next draw
    assert req_b.status == "offered"
    assert req_b.offer_expires_at == at(D(2026, 6, 13), 16)
    assert Notice.objects.filter(kind="exams.seat_offered", id_number_hash=identity.id_key(b.id_number)).exists()


def test_offer_expires_after_24_hours_and_passes_to_the_next(make_learner, make_plan, clerk_has):
    users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(3)]
    plan = make_plan(D(2026, 6, 15), capacity=1)
    req_a, req_b, req_c = sit(plan, [(u, None) for u in users])
    with on(D(2026, 6, 10), 9):
        services.booking_cancel(req_a, actor=clerk_has)
    with on(D(2026, 6, 11), 8, 59):
        services.sweep()
    req_b.refresh_from_db()
    assert req_b.status == "offered"
    with on(D(2026, 6, 11), 9):
        services.sweep()
    req_b.refresh_from_db(), req_c.refresh_from_db()
    assert req_b.status == "offer_expired" and req_c.status == "offered"
    with on(D(2026, 6, 11), 10):
        services.offer_respond(req_c, id_number=users[2].id_number, accept=True)
    req_c.refresh_from_db()
    assert req_c.status == "allocated"
    assert ExamRequest.objects.filter(plan=plan, status__in=["allocated", "offered"]).count() == 1


def test_declined_offer_goes_to_the_next_and_late_answers_are_refused(make_learner, make_plan, clerk_has):
    users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(3)]
    plan = make_plan(D(2026, 6, 15), capacity=1)
    req_a, req_b, req_c = sit(plan, [(u, None) for u in users])
    with on(D(2026, 6, 10), 9):
        services.booking_cancel(req_a, actor=clerk_has)
        services.offer_respond(req_b, id_number=users[1].id_number, accept=False)
    req_c.refresh_from_db()
    assert req_c.status == "offered"
    with on(D(2026, 6, 11), 9, 1), pytest.raises(services.ExamError, match="已不可确认"):
        services.offer_respond(req_c, id_number=users[2].id_number, accept=True)


def test_subject_1_pass_issues_a_three_year_permit(make_learner, make_plan):
    user, record = make_learner("C1")
    sit(make_plan(D(2026, 6, 15)), [(user, "retake_pass")])
    record.refresh_from_db()
    assert record.subject1_passed_on == D(2026, 6, 15)
    assert (record.permit_issued_on, record.permit_valid_until) == (D(2026, 6, 15), D(2029, 6, 15))
    assert record.last_exam_on == D(2026, 6, 15)
    assert Notice.objects.filter(kind="exams.result", id_number_hash=identity.id_key(user.id_number)).count() == 1


def test_permit_never_runs_past_the_upper_age_limit(make_learner, make_plan):
    user, record = make_learner("B2", birth=D(1964, 1, 10))
    sit(make_plan(D(2026, 6, 15), classes=["B2"]), [(user, "pass")])
    record.refresh_from_db()
    assert record.permit_valid_until == D(2028, 1, 9)  # the last day aged 63


def test_results_cannot_be_entered_before_the_exam_day(make_learner, make_plan):
    user, _ = make_learner("C1")
    (req,) = sit(make_plan(D(2026, 6, 15)), [(user, None)])
    with on(D(2026, 6, 14)), pytest.raises(services.ExamError):
        services.result_record(req, "pass")


def test_all_four_subjects_passed_completes_the_record(make_learner, make_plan):
    user, record = make_learner(
        "C1", permit_on=D(2026, 1, 5), subject2_passed_on=D(2026, 3, 2), road_passed_on=D(2026, 6, 1)
    )
    sit(make_plan(D(2026, 7, 15), subject="4"), [(user, "pass")])
    record.refresh_from_db()
    assert record.status == LearnerRecord.Status.COMPLETED


def test_plan_whose_window_would_close_before_opening_is_not_published(make_plan):
    # Only a city whose publication lead is no longer than its closing days can get here.
    CitySetting.objects.update_or_create(city=make_plan.city, key="exam_publish_days_before", defaults={"value": 3})
    for day in range(1, 8):
        Holiday.objects.get_or_create(date=D(2026, 10, day), defaults={"kind": "holiday", "name": "国庆节"})
    plan = make_plan(D(2026, 10, 8), publish=False)  # 3 working days before: Sep 28
    with on(D(2026, 9, 28)), pytest.raises(services.ExamError, match="2026-09-28"):
        services.plan_publish(plan)
