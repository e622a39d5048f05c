"""The 50,000-number pool (docs/rules.md §2): the sweep announces the next blocks early enough,
from the recent daily take, that a steady demand never takes the pool under its minimum."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from plates import selectors, services
from plates.models import NumberBlock, PlateNumber
from tests.plates.conftest import on, open_block, set_city

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 11, 2)  # a Monday; blocks open on any calendar day


def take(city, n, after=0) -> int:
    """n numbers leave the pool now (held and registered), as the day's citizens would take them;
    returns the last id taken.

    In id order from `after`, the last one taken before: a simulation is one transaction, where
    every number taken stays behind as a dead entry of the pool's index, so a scan from the
    start would grow with every day simulated."""
    ids = list(
        PlateNumber.objects.filter(city=city, plate_type="02", status="available", pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    PlateNumber.objects.filter(pk__in=ids).update(status="registered", taken_at=timezone.now())
    return ids[-1] if ids else after


def simulate(city, days, per_day, steps=2):
    """Run `days` days of a steady take, `steps` times a day a share of it followed by a sweep;
    returns the smallest pool seen, which is the pool just before a sweep (a sweep only adds)."""
    lowest, last = None, 0
    for day in range(days):
        for step in range(steps):
            with on(START + datetime.timedelta(days=day), 6 + step * 24 // steps):
                last = take(city, per_day // steps, last)
                pool = selectors.pool_available(city.pk, "02")
                services.sweep()
            lowest = pool if lowest is None else min(lowest, pool)
    return lowest


@pytest.mark.parametrize("forecast", [True, False])
def test_a_steady_take_for_three_weeks_never_takes_the_pool_under_50000(has, monkeypatch, forecast):
    """72,000 numbers open, 3,000 taken a day for 3 weeks (63,000 in all): the next block is
    announced early enough, 3 days ahead of need and more, that the pool never falls under 50,000.
    The control (no forecast: a block is announced only once the pool is short, as before)
    falls under it within 12 days."""
    with on(START - datetime.timedelta(days=1), 12):
        open_block(has, "A000A", "C999Z")
    assert selectors.pool_available(has.pk, "02") == 72000
    if not forecast:
        monkeypatch.setattr(selectors, "daily_take", lambda *args, **kwargs: 0)
    lowest = simulate(has, days=21 if forecast else 12, per_day=3000)
    if forecast:
        assert lowest >= 50000
        assert NumberBlock.objects.filter(city=has, status="open").count() == 2
    else:
        assert lowest < 50000


def test_the_pool_at_its_minimum_with_no_take_announces_nothing(has, monkeypatch):
    set_city(has, "plate_pool_min_available", 240)
    open_block(has)  # exactly 240 on offer: at the minimum, not under it
    assert services.sweep()["blocks_announced"] == 0
    take(has, 1)  # one under the minimum
    assert services.sweep()["blocks_announced"] == 1


def test_a_high_take_announces_several_blocks_at_once(has):
    set_city(has, "plate_pool_min_available", 200)
    open_block(has)  # 240 numbers
    with on(START, 9):
        take(has, 100)  # 140 left, and 100 a day
        # 4 days ahead at 100 a day: 140 - 400 + 240k >= 200 needs k = 2 blocks of 240.
        assert services.sweep()["blocks_announced"] == 2
        announced = NumberBlock.objects.filter(city=has, status="announced").order_by("id")
        assert [b.serial_from for b in announced] == ["B000A", "C000A"]
        assert {b.opens_at for b in announced} == {timezone.now() + datetime.timedelta(days=3)}
        assert services.sweep()["blocks_announced"] == 0  # both on their way: enough


def test_the_daily_take_is_the_busiest_day_of_the_last_week(has):
    open_block(has)
    with on(START, 9):
        take(has, 30)
    with on(START + datetime.timedelta(days=1), 9):
        take(has, 10)
        assert selectors.daily_take(has.pk, "02") == 30
    with on(START + datetime.timedelta(days=8), 9):
        assert selectors.daily_take(has.pk, "02") == 0  # more than a week ago


def test_public_page_shows_the_numbers_on_offer_against_the_minimum(client, has):
    set_city(has, "plate_pool_min_available", 300)
    open_block(has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    body = client.get(reverse("plates:blocks")).content.decode()
    assert 'data-testid="on-offer">240<' in body and 'data-testid="minimum">300<' in body
    assert "可选号码" in body and "最低可选数量" in body
    assert 'class="table-danger"' in body  # under the minimum: marked
