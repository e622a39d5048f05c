"""What the exams app gives the platform: public statistics, deadlines, announcements, demo data."""

import datetime
import io

import pytest

from exams import demo, services
from exams.models import ExamPlan, LearnerRecord
from portal import hooks
from tests.exams.conftest import at, on, sit

D = datetime.date
pytestmark = pytest.mark.django_db


def test_stats_provider_lists_capacity_requests_allocated_and_passes(make_learner, make_plan, has):
    users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(2)]
    plan = make_plan(D(2026, 6, 15), capacity=1)
    sit(plan, [(users[0], "pass"), (users[1], None)])
    with on(D(2026, 6, 16)):
        (section,) = [s for s in hooks.stats_for(has) if "驾驶人考试" in s.title]
    assert section.rows[0][4:] == [1, 2, 1, 1]


def test_deadlines_show_the_exam_and_the_offer_deadline(make_learner, make_plan, clerk_has):
    a, _ = make_learner("C1", accepted=at(D(2026, 2, 1)))
    b, _ = make_learner("C1", accepted=at(D(2026, 2, 2)))
    plan = make_plan(D(2026, 6, 15), capacity=1)
    req_a, req_b = sit(plan, [(a, None), (b, None)])
    with on(D(2026, 6, 10)):
        assert [d.when for d in hooks.deadlines_for(a)] == [at(D(2026, 6, 15), 8)]
        services.booking_cancel(req_a, actor=clerk_has)
        assert [d.when for d in hooks.deadlines_for(b)] == [at(D(2026, 6, 11), 10)]


def test_publication_announces_the_seed_commitment_never_the_seed(make_plan):
    from notices.models import Announcement

    plan = make_plan(D(2026, 7, 20))
    announcement = Announcement.objects.get(dedupe_key=f"exams.plan_published.{plan.pk}")
    text = f"{announcement.title} {announcement.body} {announcement.context}"
    assert plan.seed_commitment in text and plan.seed not in text


def test_demo_loader_is_quick_and_idempotent(has):
    out = io.StringIO()
    with on(D(2026, 7, 1)):
        demo.load(out)
        demo.load(out)
    assert ExamPlan.objects.filter(city=has, status="published").count() == 20
    assert LearnerRecord.objects.count() == 2
    assert LearnerRecord.objects.filter(permit_issued_on__isnull=False).count() == 1
