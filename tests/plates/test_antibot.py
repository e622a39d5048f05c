"""The plate rush: proof of work before a selection starts, limits per account and per address."""

import time_machine
from django.urls import reverse
from django.utils import timezone

from plates.models import Selection
from tests import antibot, factories
from tests.plates.conftest import new_vehicle, open_block


def _start_data(vehicle, **extra):
    return {"accept": "on", "vin": vehicle.vin, "cert_number": vehicle.conformity_cert_number, **extra}


def test_a_selection_starts_only_with_a_solved_challenge(settings, has_client, citizen, has):
    antibot.enable(settings)
    open_block(has)
    vehicle = new_vehicle(citizen, has)
    has_client.force_login(citizen)
    page = has_client.get("/plates/").content.decode()
    assert "<altcha-widget" in page and "js/antibot.js" in page
    refused = has_client.post("/plates/", _start_data(vehicle))
    assert refused.status_code == 200 and "我不是机器人" in refused.content.decode()
    assert vehicle.vin in refused.content.decode()  # the form keeps what was typed
    assert not Selection.objects.exists()
    payload = antibot.solve(refused.content.decode())
    response = has_client.post("/plates/", _start_data(vehicle, altcha=payload))
    assert response.status_code == 302 and Selection.objects.count() == 1


def test_a_solution_is_good_once_and_only_for_its_account(settings, client, citizen, other_citizen, has):
    antibot.enable(settings)
    open_block(has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(citizen)
    payload = antibot.solve(client.get("/plates/").content.decode())
    other_vehicle = new_vehicle(other_citizen, has)
    client.force_login(other_citizen)  # a solution made for another account
    client.post("/plates/", _start_data(other_vehicle, altcha=payload))
    assert not Selection.objects.exists()
    client.force_login(citizen)
    vehicle = new_vehicle(citizen, has)
    assert client.post("/plates/", _start_data(vehicle, altcha=payload)).status_code == 302
    client.logout()
    client.force_login(citizen)  # a new session presenting the same solution again
    second = new_vehicle(citizen, has)
    client.post("/plates/", _start_data(second, altcha=payload))
    assert Selection.objects.count() == 1


def test_without_javascript_the_ticket_is_accepted_after_the_wait(settings, has_client, citizen, has):
    antibot.enable(settings)
    open_block(has)
    vehicle = new_vehicle(citizen, has)
    has_client.force_login(citizen)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        page = has_client.get("/plates/").content.decode()
        assert "<noscript>" in page
        ticket = antibot.ticket_in(page)
        too_early = has_client.post("/plates/", _start_data(vehicle, altcha_ticket=ticket))
        assert too_early.status_code == 200 and not Selection.objects.exists()
        traveller.shift(settings.ANTIBOT_NOSCRIPT_WAIT_SECONDS + 1)
        assert has_client.post("/plates/", _start_data(vehicle, altcha_ticket=ticket)).status_code == 302
    assert Selection.objects.count() == 1


def test_one_address_starts_few_selections_and_gets_a_clear_429(client, has):
    open_block(has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.defaults["REMOTE_ADDR"] = "10.9.9.9"
    started = 0
    for _ in range(7):
        person = factories.UserFactory()
        client.force_login(person)
        response = client.post("/plates/", _start_data(new_vehicle(person, has)))
        if response.status_code == 302:
            started += 1
        else:
            assert response.status_code == 429 and "请求过于频繁" in response.content.decode()
    assert started == 5
    client.defaults["REMOTE_ADDR"] = "10.1.1.1"  # someone at another address is not affected
    person = factories.UserFactory()
    client.force_login(person)
    assert client.post("/plates/", _start_data(new_vehicle(person, has))).status_code == 302


def test_an_account_hammering_the_claim_endpoint_is_stopped(citizen_client, selection):
    url = reverse("plates:backup", args=[selection.pk])
    codes = [citizen_client.post(url, {"batch": "1", "number": "苏HA000A"}).status_code for _ in range(32)]
    assert codes[:30] == [302] * 30 and codes[30:] == [429, 429]
