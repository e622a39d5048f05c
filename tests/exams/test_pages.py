"""Candidate and public pages, and the clerks' admin, through HTTP."""

import datetime

import pytest

from exams import services
from exams.models import ExamPlan, ExamRequest, LearnerRecord
from portal import identity
from tests import factories
from tests.exams.conftest import at, on, sit

D = datetime.date
pytestmark = pytest.mark.django_db


def test_candidate_requests_a_seat_sees_the_rank_and_withdraws(make_learner, make_plan, has_client):
    user, record = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    has_client.force_login(user)
    with on(D(2026, 7, 1)):
        page = has_client.post(f"/exams/plans/{plan.pk}/request/", follow=True)
        body = page.content.decode()
        assert "受理中" in body
        req = ExamRequest.objects.get(id_number_hash=identity.id_key(user.id_number))
        assert req.channel == "online" and f"{req.number}" in body
        page = has_client.post(f"/exams/requests/{req.pk}/withdraw/", follow=True)
    req.refresh_from_db()
    assert req.status == "withdrawn"
    assert "已撤销" in page.content.decode()


def test_second_submission_shows_the_reason_not_an_error_page(make_learner, make_plan, has_client):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    has_client.force_login(user)
    with on(D(2026, 7, 1)):
        has_client.post(f"/exams/plans/{plan.pk}/request/")
        page = has_client.post(f"/exams/plans/{plan.pk}/request/", follow=True)
    assert page.status_code == 200
    assert "该科目已有" in page.content.decode()
    assert ExamRequest.objects.filter(id_number_hash=identity.id_key(user.id_number)).count() == 1


def test_bad_inputs_are_404_or_405_never_500(make_learner, make_plan, has_client, szv):
    user, _ = make_learner("C1")
    has_client.force_login(user)
    assert has_client.post("/exams/plans/999999/request/").status_code == 404
    assert has_client.get(f"/exams/plans/{make_plan(D(2026, 7, 20)).pk}/request/").status_code == 405
    assert has_client.post("/exams/requests/999999/withdraw/").status_code == 404
    assert has_client.get("/exams/offers/999999/").status_code == 404
    no_permit = has_client.get("/exams/permit/")  # no permit yet: a page that says how to get one
    assert no_permit.status_code == 200 and "科目一" in no_permit.content.decode()
    assert has_client.get("/exams/permit.pdf").status_code == 302


def test_citizen_without_a_learner_record_is_told_once_what_they_need(make_plan, has_client, citizen):
    for day in range(20):
        make_plan(D(2026, 7, 20) + datetime.timedelta(days=day // 2), starts=8 + 2 * (day % 2))
    has_client.force_login(citizen)
    with on(D(2026, 7, 1)):
        body = has_client.get("/exams/").content.decode()
        permit = has_client.get("/exams/permit/").content.decode()
    assert body.count('data-testid="plan-') == 20
    assert body.count('data-testid="no-learner-record"') == 1
    assert body.count("没有您的驾驶证申请") == 1 and 'data-testid="reasons"' not in body
    assert "车辆管理所" in body and "体检" in body
    assert 'data-testid="no-permit"' in permit and "车辆管理所" in permit


def test_withdrawing_asks_for_confirmation_first(make_learner, make_plan, has_client):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    has_client.force_login(user)
    with on(D(2026, 7, 1)):
        req = services.request_create(plan=plan, id_number=user.id_number)
        listing = has_client.get("/exams/").content.decode()
        assert f'href="/exams/requests/{req.pk}/withdraw/"' in listing  # a link, not a one-click form
        confirm = has_client.get(f"/exams/requests/{req.pk}/withdraw/")
        req.refresh_from_db()
        assert confirm.status_code == 200 and req.status == "requested"
        assert 'data-testid="withdraw-warning"' in confirm.content.decode() and "排序" in confirm.content.decode()
        done = has_client.post(f"/exams/requests/{req.pk}/withdraw/", follow=True)
    req.refresh_from_db()
    assert req.status == "withdrawn" and "已撤销" in done.content.decode()


def test_someone_elses_request_cannot_be_withdrawn(make_learner, make_plan, has_client):
    owner, _ = make_learner("C1")
    intruder, _ = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)):
        req = services.request_create(plan=plan, id_number=owner.id_number)
        has_client.force_login(intruder)
        assert has_client.post(f"/exams/requests/{req.pk}/withdraw/").status_code == 404


def test_public_page_shows_seats_requests_allocated_and_passes(make_learner, make_plan, has_client):
    users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(3)]
    plan = make_plan(D(2026, 6, 15), capacity=2)
    sit(plan, [(users[0], "pass"), (users[1], "fail"), (users[2], None)])
    with on(D(2026, 6, 16)):
        page = has_client.get("/exams/public/")
    row = page.content.decode().split(f'data-testid="public-plan-{plan.pk}"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[4:8] == ["2", "3", "2", "1/2"]


def test_public_page_comes_in_pages_each_with_its_own_figures(make_learner, make_plan, has_client, monkeypatch):
    from exams import selectors

    monkeypatch.setattr(selectors, "PUBLIC_PAGE_SIZE", 2)
    plans = []
    for day in (15, 16, 17):
        users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(3)]
        plan = make_plan(D(2026, 6, day), capacity=2)
        sit(plan, [(users[0], "pass"), (users[1], "fail"), (users[2], None)])
        plans.append(plan)
    with on(D(2026, 6, 20)):
        first = has_client.get("/exams/public/").content.decode()
        second = has_client.get("/exams/public/", {"page": "2"}).content.decode()
        beyond = has_client.get("/exams/public/", {"page": "x"})
    assert [f"public-plan-{p.pk}" in first for p in plans] == [True, True, False]
    assert [f"public-plan-{p.pk}" in second for p in plans] == [False, False, True]
    assert "第 1 页，共 2 页" in first and "第 2 页，共 2 页" in second
    row = second.split(f'data-testid="public-plan-{plans[2].pk}"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[4:8] == ["2", "3", "2", "1/2"]
    assert beyond.status_code == 200


def test_permit_page_and_pdf(make_learner, has_client):
    user, record = make_learner("C1", permit_on=D(2026, 6, 1))
    has_client.force_login(user)
    page = has_client.get("/exams/permit/")
    assert record.permit_number in page.content.decode() and user.id_number not in page.content.decode()
    pdf = has_client.get("/exams/permit.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_offer_page_accepts_a_freed_seat(make_learner, make_plan, has_client, clerk_has):
    a, _ = make_learner("C1", accepted=at(D(2026, 2, 1)))
    b, _ = make_learner("C1", accepted=at(D(2026, 2, 2)))
    plan = make_plan(D(2026, 6, 15), capacity=1)
    req_a, req_b = sit(plan, [(a, None), (b, None)])
    has_client.force_login(b)
    with on(D(2026, 6, 10)):
        services.booking_cancel(req_a, actor=clerk_has)
        assert "接受" in has_client.get(f"/exams/offers/{req_b.pk}/").content.decode()
        has_client.post(f"/exams/offers/{req_b.pk}/", {"answer": "accept"})
    req_b.refresh_from_db()
    assert req_b.status == "allocated"


# --- Admin --------------------------------------------------------------------------------------
def test_clerk_creates_a_week_of_sessions_from_one_form(clerk_client, site):
    with on(D(2026, 7, 1)):
        response = clerk_client.post(
            "/admin/exams/examplan/bulk/",
            {
                "site": site.pk,
                "subject": "1",
                "classes": ["C1", "C2"],
                "first_date": "2026-07-20",  # 10 working days ahead: published until 6 July
                "days": "7",
                "sessions": "08:30-11:30\n13:30-16:30",
                "capacity": "50",
                "working_days_only": "on",
                "publish": "on",
            },
        )
    assert response.status_code == 302
    plans = ExamPlan.objects.filter(site=site)
    assert plans.count() == 10  # 5 working days x 2 sessions
    assert set(plans.values_list("status", flat=True)) == {"published"}


def test_bulk_form_with_a_bad_session_keeps_the_input_and_creates_nothing(clerk_client, site):
    response = clerk_client.post(
        "/admin/exams/examplan/bulk/",
        {
            "site": site.pk,
            "subject": "1",
            "classes": ["C1"],
            "first_date": "2026-07-13",
            "days": "7",
            "sessions": "8.30 to 11",
            "capacity": "50",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "8.30 to 11" in body and "HH:MM-HH:MM" in body
    assert not ExamPlan.objects.exists()


def test_publication_too_late_shows_a_clear_error(clerk_client, make_plan):
    plan = make_plan(D(2026, 7, 20), publish=False)
    with on(D(2026, 7, 15)):
        page = clerk_client.post(
            "/admin/exams/examplan/", {"action": "publish", "_selected_action": [plan.pk]}, follow=True
        )
    assert "至少提前10个工作日" in page.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_csv_import_is_all_or_nothing_and_names_the_bad_line(clerk_client, site):
    good = "site,subject,classes,date,starts_at,ends_at,capacity\n城南考场,2,C1 C2,2026-07-20,08:00,10:00,30\n"
    bad = good + "城南考场,9,C1,2026-07-20,10:00,12:00,30\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = clerk_client.post("/admin/exams/examplan/import/", {"file": SimpleUploadedFile("p.csv", bad.encode())})
    assert page.status_code == 200 and "3" in page.content.decode()
    assert not ExamPlan.objects.exists()
    page = clerk_client.post("/admin/exams/examplan/import/", {"file": SimpleUploadedFile("p.csv", good.encode())})
    assert page.status_code == 302
    assert ExamPlan.objects.get().licence_classes == ["C1", "C2"]


def test_csv_import_reports_a_line_the_csv_module_cannot_read(clerk_client, site):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = "site,subject,classes,date,starts_at,ends_at,capacity\n城南考场,2,C1 C2,2026-07-20,08:00,10:00,30\n"
    # A carriage return inside an unquoted field: csv raises "new-line character seen in unquoted field".
    broken = good + "城南考场,2,C1\rC2,2026-07-21,08:00,10:00,30\n"
    page = clerk_client.post("/admin/exams/examplan/import/", {"file": SimpleUploadedFile("p.csv", broken.encode())})
    assert page.status_code == 200
    assert "第3行" in page.content.decode()
    assert not ExamPlan.objects.exists()


def test_clerk_books_by_phone_under_the_same_rules(clerk_client, make_learner, make_plan):
    user, _ = make_learner("C1", permit_on=D(2026, 6, 25))
    s1 = make_plan(D(2026, 7, 20))
    s2 = make_plan(D(2026, 7, 21), subject="2")
    with on(D(2026, 7, 1)):
        refused = clerk_client.post(
            "/admin/exams/examrequest/book/", {"id_number": user.id_number, "plan": s2.pk, "channel": "phone"}
        )
        assert refused.status_code == 200 and "10" in refused.content.decode()
        assert user.id_number in refused.content.decode()  # the form keeps what was typed
        s1_refused = clerk_client.post(
            "/admin/exams/examrequest/book/", {"id_number": user.id_number, "plan": s1.pk, "channel": "counter"}
        )
        assert s1_refused.status_code == 200  # subject 1 already passed
    with on(D(2026, 7, 9)):  # the 10th working day after 25 June
        ok = clerk_client.post(
            "/admin/exams/examrequest/book/", {"id_number": user.id_number.lower(), "plan": s2.pk, "channel": "phone"}
        )
    assert ok.status_code == 302
    req = ExamRequest.objects.get(id_number_hash=identity.id_key(user.id_number))
    assert req.channel == "phone" and req.created_by is not None
    from notices.models import Notice

    assert (
        Notice.objects.filter(kind="exams.request_accepted", id_number_hash=identity.id_key(user.id_number)).count()
        == 1
    )


def test_clerk_cancels_at_the_counter_and_enters_results(clerk_client, make_learner, make_plan):
    a, rec_a = make_learner("C1", accepted=at(D(2026, 2, 1)))
    b, rec_b = make_learner("C1", accepted=at(D(2026, 2, 2)))
    plan = make_plan(D(2026, 6, 15), capacity=2)
    req_a, req_b = sit(plan, [(a, None), (b, None)])
    with on(D(2026, 6, 11)):
        clerk_client.post("/admin/exams/examrequest/", {"action": "cancel_at_counter", "_selected_action": [req_a.pk]})
    req_a.refresh_from_db()
    assert req_a.status == "cancelled"
    with on(D(2026, 6, 15), 17):
        page = clerk_client.post(
            f"/admin/exams/examplan/{plan.pk}/results/", {f"r{req_b.pk}-outcome": "no_show"}, follow=True
        )
    assert page.status_code == 200
    rec_b.refresh_from_db()
    assert rec_b.last_cancel_at == at(D(2026, 6, 15), 8)
    plan.refresh_from_db()
    assert plan.status == "done"


def test_clerk_of_another_city_sees_no_exam_records(client, clerk_szv, make_learner):
    make_learner("C1")
    client.defaults["HTTP_HOST"] = "szv.localhost"
    client.force_login(clerk_szv)
    page = client.get("/admin/exams/learnerrecord/")
    assert page.status_code == 200 and "0" in page.content.decode()
    assert LearnerRecord.objects.count() == 1


def test_clerk_registers_a_learner_record_with_a_valid_id(clerk_client, has):
    id_number = factories.make_id_number(D(2001, 2, 3))
    bad = clerk_client.post(
        "/admin/exams/learnerrecord/add/",
        {
            "city": has.pk,
            "id_number": id_number[:-1] + ("0" if id_number[-1] != "0" else "1"),
            "name": "李四",
            "licence_class": "C1",
            "application_accepted_at_0": "2026-07-01",
            "application_accepted_at_1": "09:00",
        },
    )
    assert bad.status_code == 200 and not LearnerRecord.objects.exists()
    ok = clerk_client.post(
        "/admin/exams/learnerrecord/add/",
        {
            "city": has.pk,
            "id_number": id_number,
            "name": "李四",
            "licence_class": "C1",
            "application_accepted_at_0": "2026-07-01",
            "application_accepted_at_1": "09:00",
        },
    )
    assert ok.status_code == 302 and LearnerRecord.objects.get().id_number == id_number


def test_anonymous_visitor_sees_open_plans_and_a_login_prompt(make_plan, has_client, client):
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)):
        page = has_client.get("/exams/")
        english = has_client.get("/exams/", HTTP_ACCEPT_LANGUAGE="en", headers={"Cookie": "django_language=en"})
    body = page.content.decode()
    assert f'data-testid="plan-{plan.pk}"' in body and "登录" in body
    # The column is the exam subject (科目), not the subject line of a question (标题).
    assert "<th>考试科目</th>" in body and "<th>标题</th>" not in body
    assert f"/exams/plans/{plan.pk}/request/" not in body
    assert "Log in" in english.content.decode()
    client.defaults["HTTP_HOST"] = "localhost"
    assert client.get("/exams/").status_code == 404


def test_every_exams_admin_page_renders_for_a_clerk_without_full_id_numbers(clerk_client, make_learner, make_plan):
    user, record = make_learner("C1", permit_on=D(2026, 5, 4))
    other, _ = make_learner("C1")
    plan = make_plan(D(2026, 6, 15), capacity=1)
    (req,) = sit(plan, [(other, "pass")])
    pages = [
        "/admin/exams/examsite/",
        "/admin/exams/examsite/add/",
        f"/admin/exams/examsite/{plan.site_id}/change/",
        "/admin/exams/examplan/",
        "/admin/exams/examplan/add/",
        f"/admin/exams/examplan/{plan.pk}/change/",
        "/admin/exams/examplan/bulk/",
        "/admin/exams/examplan/import/",
        f"/admin/exams/examplan/{plan.pk}/results/",
        "/admin/exams/learnerrecord/",
        "/admin/exams/learnerrecord/add/",
        f"/admin/exams/learnerrecord/{record.pk}/change/",
        "/admin/exams/examrequest/",
        f"/admin/exams/examrequest/{req.pk}/change/",
        "/admin/exams/examrequest/book/",
        "/admin/exams/examresult/",
    ]
    for url in pages:
        response = clerk_client.get(url)
        assert response.status_code == 200, url
        assert other.id_number not in response.content.decode(), url
        assert user.id_number not in response.content.decode(), url
    pdf = clerk_client.get(f"/admin/exams/learnerrecord/{record.pk}/permit.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_plan_admin_speaks_of_exam_seats_and_sessions_and_offers_classes_as_choices(clerk_client, site, make_plan):
    make_plan(D(2026, 7, 20))
    listing = clerk_client.get("/admin/exams/examplan/").content.decode()
    assert "场次" in listing and "会话" not in listing and "考位数" in listing
    form = clerk_client.get("/admin/exams/examplan/add/").content.decode()
    assert "核定载客" not in form and "考位数" in form
    assert 'type="checkbox" name="licence_classes" value="C1"' in form
    data = {
        "city": site.city.pk,
        "site": site.pk,
        "subject": "1",
        "date": "2026-08-20",
        "starts_at": "08:00",
        "ends_at": "10:00",
        "capacity": "30",
    }
    typed = clerk_client.post("/admin/exams/examplan/add/", {**data, "licence_classes": "C1 C2"})
    body = typed.content.decode()
    assert typed.status_code == 200 and "选择一个有效的选项" in body and "Item 1" not in body
    created = clerk_client.post("/admin/exams/examplan/add/", {**data, "licence_classes": ["C1", "C2"]})
    assert created.status_code == 302
    assert ExamPlan.objects.get(date=D(2026, 8, 20)).licence_classes == ["C1", "C2"]
