"""Exam seat requests: the proof of work earns a pass; requests are limited per account."""

import datetime

from exams.models import ExamRequest
from portal import identity
from tests import antibot
from tests.exams.conftest import on


def test_a_seat_request_needs_the_check_and_then_goes_through(settings, make_learner, make_plan, has_client):
    antibot.enable(settings)
    user, _ = make_learner("C1")
    plan = make_plan(datetime.date(2026, 7, 20))
    has_client.force_login(user)
    with on(datetime.date(2026, 7, 1)):
        assert "human-check-needed" in has_client.get("/exams/").content.decode()
        response = has_client.post(f"/exams/plans/{plan.pk}/request/")
        assert response.status_code == 302 and "/human-check/" in response.url
        assert not ExamRequest.objects.exists()
        check = has_client.get(response.url).content.decode()
        passed = has_client.post("/human-check/", {"altcha": antibot.solve(check), "next": "/exams/"})
        assert passed.status_code == 302 and passed.url == "/exams/"
        assert has_client.post(f"/exams/plans/{plan.pk}/request/").status_code == 302
    assert ExamRequest.objects.filter(id_number_hash=identity.id_key(user.id_number)).count() == 1


def test_a_forged_solution_earns_nothing(settings, make_learner, has_client):
    antibot.enable(settings)
    user, _ = make_learner("C1")
    has_client.force_login(user)
    page = has_client.post("/human-check/", {"altcha": "eyJ4IjogMX0=", "next": "/exams/"})
    assert page.status_code == 200 and "我不是机器人" in page.content.decode()


def test_seat_requests_are_limited_per_account(make_learner, make_plan, has_client):
    user, _ = make_learner("C1")
    plan = make_plan(datetime.date(2026, 7, 20))
    has_client.force_login(user)
    with on(datetime.date(2026, 7, 1)):
        codes = [has_client.post(f"/exams/plans/{plan.pk}/request/").status_code for _ in range(11)]
    assert codes[:10] == [302] * 10 and codes[10] == 429
