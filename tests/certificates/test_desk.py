"""The clerks' desk: own city only, longest waiting first, bad input answered with messages."""

import pytest

from certificates.models import Application, Item
from tests import factories
from tests.certificates.conftest import D, on, submit
from tests.conftest import city_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(has):
    """Three cases accepted on three days, the newest first in creation order."""
    cases = []
    for day in (D(2026, 7, 8), D(2026, 7, 6), D(2026, 7, 7)):
        owner = factories.UserFactory()
        car = factories.VehicleFactory(owner_id_number=owner.id_number, city=has)
        with on(day):
            cases.append(submit(owner, has, Item.VEHICLE_LICENCE, vehicle=car, cash_on_delivery=True))
    return cases


def test_the_queue_is_ordered_by_waiting_time(client, clerk_has, waiting):
    desk = city_client(client, "has")
    desk.force_login(clerk_has)
    with on(D(2026, 7, 8), 12):
        page = desk.get("/admin/certificates/application/queue/").content.decode()
    positions = [page.index(a.number) for a in sorted(waiting, key=lambda a: a.accepted_at)]
    assert positions == sorted(positions)
    assert page.count('data-testid="late"') == 1  # the one accepted on the 6th was due on the 7th


def test_a_clerk_of_another_city_sees_and_changes_nothing(client, clerk_szv, waiting):
    desk = city_client(client, "szv")
    desk.force_login(clerk_szv)
    page = desk.get("/admin/certificates/application/queue/").content.decode()
    assert all(a.number not in page for a in waiting)
    target = waiting[0]
    assert desk.get(f"/admin/certificates/application/{target.pk}/desk/").status_code == 404
    desk.post(f"/admin/certificates/application/{target.pk}/desk/", {"action": "approve"})
    desk.post("/admin/certificates/application/mailout/", {"case": [target.pk]})
    target.refresh_from_db()
    assert target.status == Application.Status.UNDER_REVIEW


def test_citizens_cannot_open_the_desk(citizen_client, waiting):
    response = citizen_client.get("/admin/certificates/application/queue/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_bad_desk_input_gives_messages_not_errors(client, clerk_has, waiting):
    desk = city_client(client, "has")
    desk.force_login(clerk_has)
    target = waiting[0]
    for data in ({"action": "teleport"}, {"action": "produce"}, {"action": "reject", "reason": "  "}, {}):
        response = desk.post(f"/admin/certificates/application/{target.pk}/desk/", data, follow=True)
        assert response.status_code == 200
    for query in ("?status=nonsense&page=-4", "?page=abc", "?page=99999999999999999999"):
        assert desk.get("/admin/certificates/application/queue/" + query).status_code == 200
    assert desk.get("/admin/certificates/application/mailout/labels.pdf?date=tomorrow").status_code == 404
    response = desk.post("/admin/certificates/application/mailout/", {"case": ["x", "-1", str(target.pk)]})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == Application.Status.UNDER_REVIEW


def test_the_province_fee_table_is_edited_by_the_province_only(client, clerk_has):
    from certificates.models import Fee

    fee, _ = Fee.objects.get_or_create(code="vehicle_licence", defaults={"amount": 10})
    desk = city_client(client, "has")
    desk.force_login(clerk_has)
    desk.post(f"/admin/certificates/fee/{fee.pk}/change/", {"amount": "1.00", "note": "x"})
    fee.refresh_from_db()
    assert fee.amount == 10
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    desk.force_login(admin)
    desk.post(f"/admin/certificates/fee/{fee.pk}/change/", {"amount": "2.00", "note": "省定标准"})
    fee.refresh_from_db()
    assert fee.amount == 2 and fee.history.filter(history_user=admin).exists()
