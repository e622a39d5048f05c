"""No exams form, URL parameter or JSON page answers 500 on hostile input (property-based).

Hypothesis throws arbitrary ids (up to far beyond bigint), query strings and form bodies (text
with NUL bytes, control characters, huge numbers, wrong types) at every candidate page, the public
draw and its JSON, and the clerks' forms (plan, bulk, CSV import, booking by phone, results).
Any status below 500 is an answer; a 500 or an exception escaping the view is a failure.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exams import services
from tests.exams.conftest import on, sit

D = datetime.date
pytestmark = pytest.mark.django_db

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ids = st.one_of(st.integers(min_value=0, max_value=2**70), st.sampled_from([0, 1, 2**31, 2**63 - 1, 2**63]))
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(["\x00", "C1 C2", "C1,C2", "-1", "9" * 40, "2026-02-30", "25:99-99:99", "' OR 1=1 --", "１２"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
bodies = st.dictionaries(
    st.sampled_from(
        [
            "answer",
            "format",
            "site",
            "subject",
            "classes",
            "licence_classes",
            "first_date",
            "date",
            "days",
            "sessions",
            "starts_at",
            "ends_at",
            "capacity",
            "working_days_only",
            "publish",
            "id_number",
            "plan",
            "channel",
            "city",
            "action",
            "_selected_action",
            "r1-outcome",
            "r1-score",
            "r1-retake_score",
        ]
    ),
    texts,
    max_size=10,
)


@pytest.fixture
def world(make_learner, make_plan, clerk_client):
    """A candidate with a live request, an allocated plan with a booking, a published plan."""
    user, _ = make_learner("C1")
    other, _ = make_learner("C1")
    drawn = make_plan(D(2026, 6, 15), capacity=1)
    (booking,) = sit(drawn, [(other, None)])
    open_plan = make_plan(D(2026, 7, 20), starts=14)
    with on(D(2026, 7, 1)):
        live = services.request_create(plan=open_plan, id_number=user.id_number)
    citizen = Client(HTTP_HOST="has.localhost")
    citizen.force_login(user)
    return {
        "citizen": citizen,
        "clerk": clerk_client,
        "plans": [drawn.pk, open_plan.pk],
        "requests": [live.pk, booking.pk],
    }


def answered(response):
    assert response.status_code < 500, response.status_code
    return response


@SETTINGS
@given(plan_id=ids, request_id=ids, query=bodies, body=bodies)
def test_candidate_and_public_pages_never_answer_500(world, plan_id, request_id, query, body):
    citizen = world["citizen"]
    anonymous = Client(HTTP_HOST="has.localhost")
    plan_ids = [plan_id, *world["plans"]]
    request_ids = [request_id, *world["requests"]]
    with on(D(2026, 7, 2)):
        for client in (citizen, anonymous):
            answered(client.get("/exams/", query))
            answered(client.get("/exams/public/", query))
            answered(client.get("/exams/permit/", query))
            answered(client.get("/exams/permit.pdf", query))
            for pk in plan_ids:
                answered(client.get(f"/exams/public/plans/{pk}/", query))
                answered(client.get(f"/exams/public/plans/{pk}/", {**query, "format": "json"}))
                answered(client.post(f"/exams/plans/{pk}/request/", body))
            for pk in request_ids:
                answered(client.get(f"/exams/requests/{pk}/withdraw/", query))
                answered(client.post(f"/exams/requests/{pk}/withdraw/", body))
                answered(client.post(f"/exams/requests/{pk}/pay/", body))
                answered(client.get(f"/exams/offers/{pk}/", query))
                answered(client.post(f"/exams/offers/{pk}/", body))


@SETTINGS
@given(plan_id=ids, body=bodies, csv_text=texts, csv_bytes=st.binary(max_size=200))
def test_clerk_forms_never_answer_500(world, plan_id, body, csv_text, csv_bytes):
    clerk = world["clerk"]
    header = "site,subject,classes,date,starts_at,ends_at,capacity\n"
    with on(D(2026, 7, 2)):
        answered(clerk.post("/admin/exams/examplan/bulk/", body))
        answered(clerk.post("/admin/exams/examplan/add/", body))
        answered(clerk.post("/admin/exams/examrequest/book/", body))
        answered(clerk.post("/admin/exams/examplan/", body))
        for content in (csv_bytes, (header + csv_text).encode(), (header + f"城南考场,{csv_text}\n").encode()):
            answered(clerk.post("/admin/exams/examplan/import/", {"file": SimpleUploadedFile("p.csv", content)}))
        for pk in [plan_id, *world["plans"]]:
            answered(clerk.get(f"/admin/exams/examplan/{pk}/results/"))
            booking = world["requests"][1]
            answered(
                clerk.post(
                    f"/admin/exams/examplan/{pk}/results/",
                    {k.replace("r1-", f"r{booking}-"): v for k, v in body.items()},
                )
            )
            answered(clerk.post(f"/admin/exams/examplan/{pk}/change/", body))
