import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from exams import rules, services
from exams.models import ExamPlan, ExamRequest, ExamSite, LearnerRecord
from portal.payments import gateways
from tests import factories


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """An aware Asia/Shanghai datetime on a day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def on(day: datetime.date, hour: int = 10, minute: int = 0):
    """Travel to a local time on a day (time stands still)."""
    return time_machine.travel(at(day, hour, minute), tick=False)


@pytest.fixture
def clerk_client(clerk_has):
    """A clerk of Huai'an in the admin, with a client of its own (has_client stays a citizen's)."""
    client = Client(HTTP_HOST="has.localhost")
    client.force_login(clerk_has)
    return client


@pytest.fixture
def site(has):
    return ExamSite.objects.create(
        city=has,
        name="城南考场",
        address="淮安市淮安区南京路 18 号",
        subjects=["1", "2", "3", "4"],
        licence_classes=["C1", "C2", "A1", "B2", "C6", "E"],
        daily_capacity=100000,
    )


@pytest.fixture
def make_plan(site):
    def make(day, subject="1", capacity=10, classes=("C1", "C2"), publish=True, starts=8):
        plan = ExamPlan.objects.create(
            city=site.city,
            site=site,
            subject=subject,
            licence_classes=list(classes),
            date=day,
            starts_at=datetime.time(starts, 0),
            ends_at=datetime.time(starts + 2, 0),
            capacity=capacity,
        )
        if publish:
            # 30 calendar days hold the 10 working days of the publication lead even over
            # the National Day week (docs/rules.md §3).
            with on(day - datetime.timedelta(days=30)):
                services.plan_publish(plan)
            plan.refresh_from_db()
        return plan

    make.city = site.city
    return make


@pytest.fixture
def make_learner(has):
    """make_learner(cls, birth=..., permit_on=date) -> (user, record); permit_on means subject 1 passed that day."""

    def make(cls="C1", birth=datetime.date(2000, 1, 1), accepted=None, permit_on=None, **fields):
        user = factories.UserFactory(id_number=factories.make_id_number(birth))
        record = LearnerRecord.objects.create(
            city=has,
            id_number=user.id_number,
            name=user.real_name,
            licence_class=cls,
            application_accepted_at=accepted or at(datetime.date(2026, 1, 5), 9),
            **fields,
        )
        if permit_on:
            record.subject1_passed_on = record.permit_issued_on = permit_on
            record.permit_valid_until = rules.add_years(permit_on, 3)
            record.permit_number = f"P{record.pk:08d}"
            record.last_exam_on = permit_on
            record.save()
        return user, record

    return make


def pay_fee(req, user):
    """The candidate pays the seat's fee at the sandbox cashier; the gateway's signed
    notification settles it (in process under eager Celery, as in tests/portal/test_payments.py)."""
    req.refresh_from_db()
    payment = services.fee_pay_start(req, payer=user)
    assert gateways.SandboxGateway().payer_pays(payment.order_number)
    payment.refresh_from_db()
    req.refresh_from_db()
    return payment


def sit(plan, users_outcomes, *, clerk=None):
    """Request, draw, pay the fees of the seats and enter results: [(user, outcome or None)] in
    request order."""
    reqs = []
    with on(plan.closes_on - datetime.timedelta(days=1)):
        for user, _ in users_outcomes:
            reqs.append(services.request_create(plan=plan, id_number=user.id_number))
    with on(plan.closes_on, 1):
        services.sweep()
        for req, (user, _) in zip(reqs, users_outcomes, strict=True):
            req.refresh_from_db()
            if req.fee_owed:
                pay_fee(req, user)
    with on(plan.date, 18):
        for req, (_, outcome) in zip(reqs, users_outcomes, strict=True):
            req.refresh_from_db()
            if outcome and req.status == ExamRequest.Status.ALLOCATED:
                services.result_record(req, outcome, actor=clerk)
    for req in reqs:
        req.refresh_from_db()
    return reqs


# --- Inspection booking (docs/rules.md §6.4) ----------------------------------------------------
@pytest.fixture
def station(has):
    from exams.models import InspectionStation

    return InspectionStation.objects.create(
        city=has,
        name="淮安城东机动车检测站",
        address="淮安市清江浦区枚乘东路 9 号",
        phone="0517-83600000",
        lanes=3,
        vehicle_kinds=["small_passenger", "truck"],
        opens_at=datetime.time(8, 30),
        closes_at=datetime.time(17, 0),
        break_from=datetime.time(12, 0),
        break_until=datetime.time(13, 30),
        slot_minutes=60,
        slot_capacity=6,
    )


@pytest.fixture
def make_slot(station):
    from exams.models import InspectionSlot

    def make(day, hour=9, capacity=2, at_station=None):
        st = at_station or station
        return InspectionSlot.objects.create(
            city=st.city,
            station=st,
            date=day,
            starts_at=datetime.time(hour, 0),
            ends_at=datetime.time(hour + 1, 0),
            capacity=capacity,
        )

    return make


@pytest.fixture
def make_car(has):
    """make_car(owner, registered_on=..., valid_until=..., **fields): a small private car of the owner."""

    def make(owner, registered_on=datetime.date(2020, 5, 20), valid_until=datetime.date(2026, 5, 31), **fields):
        return factories.VehicleFactory(
            city=has,
            owner_id_number=owner.id_number,
            owner_name=owner.real_name,
            registered_on=registered_on,
            inspection_valid_until=valid_until,
            **fields,
        )

    return make
