import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from portal.models import Shipment, ShipmentEvent
from portal.postal import carriers, services
from tests import factories
from tests.races import race

CHANGES = []
services.register_status_callback(
    "test.mailout", on_status=lambda s, old, new: CHANGES.append((s.tracking_number, old, new))
)


@pytest.fixture(autouse=True)
def _reset():
    CHANGES.clear()


def _ship(city, **kwargs):
    values = {
        "city": city,
        "purpose": "test.mailout",
        "reference": "test.application:1",
        "recipient_name": "张三",
        "recipient_phone": "13912345678",
        "address": "江苏省淮安市清江浦区健康东路1号",
        "contents": "机动车驾驶证",
        "cod_amount": Decimal("20.00"),
        "take_back_old_document": True,
    }
    values.update(kwargs)
    return services.create_shipment(**values)


def _webhook(client, body: bytes, secret="dev-postal-secret"):
    return client.post(
        "/postal/webhook/",
        body,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=carriers.body_signature(body, secret),
    )


def test_a_shipment_gets_an_s10_tracking_number(has):
    shipment = _ship(has)
    assert re.fullmatch(r"EA\d{9}CN", shipment.tracking_number)
    assert carriers.s10_check_digit(shipment.tracking_number[2:10]) == shipment.tracking_number[10]
    assert shipment.status == Shipment.Status.CREATED
    assert shipment.take_back_old_document and shipment.cod_amount == Decimal("20.00")


def test_a_bad_recipient_phone_is_refused_with_a_message(has):
    with pytest.raises(services.PostalError):
        _ship(has, recipient_phone="12345")
    assert not Shipment.objects.exists()


def test_a_shipments_full_life_through_the_staff_page(client, has, clerk_has):
    shipment = _ship(has)
    client.force_login(clerk_has)
    url = f"/postal/sandbox/{shipment.tracking_number}/"
    for status in ["accepted", "in_transit", "failed", "in_transit", "delivered"]:
        response = client.post(url, {"status": status, "location": "淮安"}, HTTP_HOST="has.localhost")
        assert response.status_code == 302

    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and shipment.delivered_at is not None
    assert list(shipment.events.values_list("status", flat=True)) == [
        "accepted",
        "in_transit",
        "failed",
        "in_transit",
        "delivered",
    ]
    assert [(old, new) for _t, old, new in CHANGES] == [
        ("created", "accepted"),
        ("accepted", "in_transit"),
        ("in_transit", "failed"),
        ("failed", "in_transit"),
        ("in_transit", "delivered"),
    ]
    page = client.get(f"/postal/track/{shipment.tracking_number}/", HTTP_HOST="has.localhost").content.decode()
    assert "已妥投" in page
    assert "139****5678" in page and "13912345678" not in page


def test_a_failed_delivery_can_be_returned_by_the_command(has):
    shipment = _ship(has)
    for status in ["accepted", "in_transit", "failed", "returned"]:
        call_command("postal_advance", shipment.tracking_number, status)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.RETURNED


def test_a_delivered_shipment_cannot_be_moved_again(has):
    shipment = _ship(has)
    services.advance_sandbox(shipment, "delivered")
    with pytest.raises(services.PostalError):
        services.advance_sandbox(shipment, "returned")


def test_a_redelivered_event_changes_nothing(has_client, has):
    shipment = _ship(has)
    body = carriers.SandboxCarrier().event_body(shipment.tracking_number, "accepted", event_id="evt-1")
    assert _webhook(has_client, body).status_code == 200
    assert _webhook(has_client, body).status_code == 200
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 1
    assert len(CHANGES) == 1


def test_a_forged_webhook_is_rejected(has_client, has):
    shipment = _ship(has)
    body = carriers.SandboxCarrier().event_body(shipment.tracking_number, "delivered")
    assert _webhook(has_client, body, secret="guessed").status_code == 400
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.CREATED and not shipment.events.exists()


def test_a_late_event_is_kept_but_does_not_move_the_status_back(has_client, has):
    shipment = _ship(has)
    sandbox = carriers.SandboxCarrier()
    _webhook(has_client, sandbox.event_body(shipment.tracking_number, "in_transit"))
    _webhook(has_client, sandbox.event_body(shipment.tracking_number, "accepted"))
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.IN_TRANSIT
    assert shipment.events.count() == 2


def test_citizens_cannot_move_sandbox_shipments(citizen_client, has):
    shipment = _ship(has)
    response = citizen_client.post(f"/postal/sandbox/{shipment.tracking_number}/", {"status": "delivered"})
    assert response.status_code == 404
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.CREATED


@pytest.mark.django_db(transaction=True)
def test_sixteen_deliveries_of_the_same_event_record_it_once():
    shipment = _ship(factories.city("has"))
    sandbox = carriers.SandboxCarrier()
    body = sandbox.event_body(shipment.tracking_number, "delivered", event_id="evt-race")
    signature = carriers.body_signature(body, sandbox.secret)
    answers, _errors = race(lambda i: services.handle_webhook(body, signature), 16)
    assert answers == [True] * 16
    assert ShipmentEvent.objects.filter(event_id="evt-race").count() == 1
    assert CHANGES == [(shipment.tracking_number, "created", "delivered")]
    assert json.loads(body)["events"][0]["status"] == "delivered"


def test_bad_input_on_the_staff_page_and_webhook_gives_messages_not_errors(client, has_client, has, clerk_has):
    shipment = _ship(has)
    client.force_login(clerk_has)
    url = f"/postal/sandbox/{shipment.tracking_number}/"
    page = client.post(url, {"status": "teleported"}, HTTP_HOST="has.localhost", follow=True).content.decode()
    assert "请选择" in page
    services.advance_sandbox(shipment, "delivered")
    page = client.post(url, {"status": "returned"}, HTTP_HOST="has.localhost", follow=True).content.decode()
    assert "不能变为" in page

    assert _webhook(has_client, b"not json").status_code == 400
    assert _webhook(has_client, b'{"events": 5}').status_code == 400
