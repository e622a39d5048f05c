"""The inspection cycle (docs/rules.md §6.1) in Python and in the SQL function the sweep uses."""

import datetime
import importlib
import itertools

import pytest
from django.db import connection

from notices import inspection

D = datetime.date


@pytest.mark.parametrize(
    "kind, commercial, van, seats, registered, at, months",
    [
        # 2022 reform: non-commercial small car <= 9 seats, not a van: 2-yearly to year 10, yearly after.
        ("small_passenger", False, False, 5, D(2020, 3, 1), D(2026, 3, 31), 24),
        ("small_passenger", False, False, 5, D(2016, 3, 1), D(2026, 3, 31), 12),
        ("small_passenger", False, False, 9, D(2010, 3, 1), D(2026, 3, 31), 12),
        # Vans and 10+ seat cars keep the old rule: 2-yearly to 6, yearly to 15, then 6-monthly.
        ("small_passenger", False, True, 7, D(2021, 3, 1), D(2026, 3, 31), 24),
        ("small_passenger", False, True, 7, D(2019, 3, 1), D(2026, 3, 31), 12),
        ("small_passenger", False, False, 10, D(2010, 3, 1), D(2026, 3, 31), 6),
        # Before the reform took effect the old rule applied to every small car.
        ("small_passenger", False, False, 5, D(2014, 3, 1), D(2021, 3, 31), 12),
        ("small_passenger", True, False, 5, D(2022, 3, 1), D(2026, 3, 31), 12),
        ("small_passenger", True, False, 5, D(2020, 3, 1), D(2026, 3, 31), 6),
        ("truck", False, False, 3, D(2017, 3, 1), D(2026, 3, 31), 12),
        ("truck", False, False, 3, D(2015, 3, 1), D(2026, 3, 31), 6),
        ("large_passenger", False, False, 40, D(2015, 3, 1), D(2026, 3, 31), 6),
        ("motorcycle", False, False, 2, D(2023, 3, 1), D(2026, 3, 31), 24),
        ("motorcycle", False, False, 2, D(2021, 3, 1), D(2026, 3, 31), 12),
        ("other", False, False, 1, D(2025, 3, 1), D(2026, 3, 31), 12),
    ],
)
def test_cycle_months(kind, commercial, van, seats, registered, at, months):
    assert (
        inspection.cycle_months(
            kind=kind, is_commercial=commercial, is_van=van, seats=seats, registered_on=registered, at=at
        )
        == months
    )


def test_reform_years_two_four_eight_claim_the_mark_online():
    def claims(years):
        return inspection.claims_mark_online(
            kind="small_passenger",
            is_commercial=False,
            is_van=False,
            seats=5,
            registered_on=D(2023, 3, 15),
            at=D(2023 + years, 3, 31),
        )

    assert [y for y in range(1, 13) if claims(y)] == [2, 4, 8]


@pytest.mark.django_db
def test_sql_function_agrees_with_python():
    cases = list(
        itertools.product(
            ["small_passenger", "large_passenger", "truck", "motorcycle", "other"],
            [False, True],
            [False, True],
            [5, 9, 10],
            [D(2004, 2, 29), D(2012, 6, 15), D(2019, 12, 31), None],
            [D(2021, 9, 30), D(2022, 10, 1), D(2027, 6, 30)],
        )
    )
    with connection.cursor() as cursor:
        for kind, commercial, van, seats, registered, at in cases:
            args = dict(kind=kind, is_commercial=commercial, is_van=van, seats=seats, registered_on=registered, at=at)
            cursor.execute(
                "SELECT notices_inspection_cycle_months(%s, %s, %s, %s, %s, %s),"
                " notices_claims_mark_online(%s, %s, %s, %s, %s, %s)",
                [kind, commercial, van, seats, registered, at] * 2,
            )
            months, claims = cursor.fetchone()
            assert months == inspection.cycle_months(**args), args
            assert bool(claims) == inspection.claims_mark_online(**args), args


def test_migration_installs_the_sql_the_sweeps_expect():
    """The migration keeps its own frozen copy of the SQL functions (it must install the same
    thing whenever it runs); when notices.inspection's rules change, a new migration must install
    the new text, or the sweeps would run the old rules."""
    migration = importlib.import_module("notices.migrations.0002_public_info_channels")
    assert " ".join(migration.SQL_FUNCTIONS.split()) == " ".join(inspection.SQL_FUNCTIONS.split())
    assert " ".join(migration.DROP_SQL_FUNCTIONS.split()) == " ".join(inspection.DROP_SQL_FUNCTIONS.split())
