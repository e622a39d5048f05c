"""The draw's decision notices go out in bounded batches (exams.services.decisions_notify).

A draw of 100,000 requests was told in one run that read every request (with a copy of its
plan, site and city) into memory and wrote one autocommitted notice after another: a worker
grew by hundreds of MB and the run outlasted the 5-minute sweep interval, so the next sweep
told the same plans again beside it. These tests pin the bounds without measuring memory: a
call stops starting plans after its limit, the next call continues, and the statements per
request do not include any read of the request's plan or city.
"""

import datetime
import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams import services
from exams.models import ExamPlan
from exams.services import allocation
from notices.models import Notice
from tests.exams.conftest import on

pytestmark = pytest.mark.django_db
D = datetime.date
sweep_module = importlib.import_module("exams.services.sweep")  # the package exports the function
DECISIONS = ["exams.allocated", "exams.not_allocated"]


@pytest.fixture
def drawn(make_learner, make_plan):
    """Plans drawn but not yet told: make(n_plans, per_plan) -> plan ids, oldest first."""

    def make(n_plans, per_plan):
        plans = [make_plan(D(2026, 7, 20), capacity=2) for _ in range(n_plans)]
        with on(D(2026, 7, 1)):
            for plan in plans:
                for _ in range(per_plan):
                    services.request_create(plan=plan, id_number=make_learner("C1")[0].id_number)
        with on(plans[0].closes_on):
            assert services.plans_allocate([p.pk for p in plans]) == [p.pk for p in plans]
        make.told_at = (plans[0].closes_on, 11)  # an hour after the draw, seats still unpaid
        return [p.pk for p in plans]

    return make


def test_a_call_stops_after_its_limit_and_the_next_continues(drawn):
    plans = drawn(3, 3)
    with on(*drawn.told_at):
        # Plans are whole: the first plan's 3 requests pass the limit of 2, the call stops there.
        assert services.decisions_notify(plans, limit=2) == 3
        assert (
            list(ExamPlan.objects.filter(decisions_sent_at__isnull=True).order_by("pk").values_list("pk", flat=True))
            == plans[1:]
        )
        assert allocation.decisions_pending() == plans[1:]
        assert services.decisions_notify(allocation.decisions_pending(), limit=4) == 6
        assert allocation.decisions_pending() == []
        assert services.decisions_notify(plans) == 0  # told once: a repeated call writes nothing
    assert Notice.objects.filter(kind__in=DECISIONS).count() == 9


def test_the_sweep_tells_in_batches_until_none_is_left(drawn, monkeypatch):
    plans = drawn(3, 2)
    monkeypatch.setattr(sweep_module, "DECISIONS_BATCH", 1)
    calls = []
    notify = allocation.decisions_notify

    def spy(plan_ids, **kwargs):
        calls.append(kwargs["limit"])
        return notify(plan_ids, **kwargs)

    monkeypatch.setattr(sweep_module, "decisions_notify", spy)
    with on(*drawn.told_at):
        assert services.sweep(budget_seconds=0)["notices"] == 0  # out of time: all left for the next run
        assert calls == []
        assert services.sweep()["notices"] == 6
    assert calls == [1, 1, 1]  # one plan per batch, then nothing pending
    assert ExamPlan.objects.filter(pk__in=plans, decisions_sent_at__isnull=True).count() == 0


def test_statements_per_request_are_only_its_notices(drawn):
    """One read of the plan and one chunked read of its requests per plan, whatever its size;
    per request only the notices' INSERTs (no read of its plan, site or city)."""
    small, large = drawn(1, 2)[0], drawn(1, 6)[0]

    def statements(plan_id):
        with on(*drawn.told_at), CaptureQueriesContext(connection) as captured:
            services.decisions_notify([plan_id])
        sql = [q["sql"] for q in captured.captured_queries]
        inserts = sum("INSERT INTO notices_notice" in s for s in sql)
        return len(sql) - inserts, inserts

    small_other, small_inserts = statements(small)
    large_other, large_inserts = statements(large)
    assert small_other == large_other
    # Two seats per plan: each a decision and a fee notice (C1 subject 1 is charged), the rest one.
    assert (small_inserts, large_inserts) == (2 * 2, 2 * 2 + 4)
