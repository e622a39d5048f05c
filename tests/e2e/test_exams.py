"""A candidate in the browser: request a seat, see the draw's result, see the exam result."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from exams import services
from exams.models import ExamPlan, ExamSite, LearnerRecord
from portal import workdays
from tests import factories

pytestmark = pytest.mark.e2e


def test_candidate_requests_is_allocated_and_sees_the_result(page, site_url):
    city = factories.city("has")
    user = factories.UserFactory(id_number=factories.make_id_number(datetime.date(1999, 4, 2)))
    LearnerRecord.objects.create(
        city=city,
        id_number=user.id_number,
        name=user.real_name,
        licence_class="C1",
        application_accepted_at=timezone.now() - datetime.timedelta(days=30),
    )
    site = ExamSite.objects.create(
        city=city, name="城南考场", subjects=["1"], licence_classes=["C1"], daily_capacity=100
    )
    exam_day = workdays.add_working_days(timezone.localdate(), 14)  # past the 10-working-day lead
    plan = ExamPlan.objects.create(
        city=city,
        site=site,
        subject="1",
        licence_classes=["C1"],
        date=exam_day,
        starts_at=datetime.time(8, 30),
        ends_at=datetime.time(11, 30),
        capacity=10,
    )
    services.plan_publish(plan)

    page.goto(site_url("has", "/accounts/login/?next=/exams/"))
    page.fill("#id_username", user.id_number)
    page.fill("#id_password", "Secret-pass-123")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id(f"plan-{plan.pk}").get_by_role("button", name="预约").click()
    status = page.get_by_test_id("my-requests").get_by_test_id("request-status")
    assert status.inner_text() == "受理中"
    assert "第1位" in page.get_by_test_id("my-requests").inner_text()

    plan.refresh_from_db()
    with time_machine.travel(
        timezone.make_aware(datetime.datetime.combine(plan.closes_on, datetime.time(0, 5))), tick=False
    ):
        services.sweep()  # the window closes: the draw runs
    page.reload()
    assert status.inner_text() == "预约成功"
    # The seat is kept once its fee, the one the plans page showed, is paid at the cashier.
    page.get_by_test_id("pay").get_by_role("button").click()
    assert "60.00" in page.get_by_test_id("amount").inner_text()
    page.get_by_role("button", name="确认支付").click()
    page.get_by_test_id("payment-status").wait_for()
    assert "已收到" in page.get_by_test_id("payment-status").inner_text()
    page.goto(site_url("has", "/exams/"))
    assert "已缴考试费60.00元" in page.get_by_test_id("my-requests").inner_text()

    req = plan.requests.get()
    with time_machine.travel(timezone.make_aware(datetime.datetime.combine(exam_day, datetime.time(17))), tick=False):
        services.result_record(req, "retake_pass")
    page.reload()
    assert page.get_by_test_id("request-result").inner_text() == "初考不合格，补考合格"
    assert "学习驾驶证明" in page.get_by_test_id("learner-record").inner_text()
