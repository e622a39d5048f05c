"""Inspection cycles (docs/rules.md §6.1), once in Python and once as a PostgreSQL function.

The sweep needs the cycle inside set-based SQL, the calendar feed and tests need it in Python;
tests/notices/test_inspection_cycle.py checks both give the same answer for every case.

Age is whole years from registration to the day the cycle starts (the end of the validity
being renewed): "within 6 years" means a cycle starting before the 6th anniversary.
"""

import datetime

# 实施条例 art 16; R-INSP22 (in force 2022-10-01) for non-commercial small/micro passenger
# cars with at most 9 seats that are not vans: years 2, 4, 8 claim the mark online, years 6 and
# 10 on site, yearly after 10. Cars outside the reform keep the old 2-yearly/yearly/6-monthly rule.
REFORM_FROM = datetime.date(2022, 10, 1)
CLAIM_MARK_YEARS = (2, 4, 8)


def age_years(registered_on, at) -> int:
    if registered_on is None:
        return 0
    years = at.year - registered_on.year
    if (at.month, at.day) < (registered_on.month, registered_on.day):
        years -= 1
    return max(years, 0)


def reform_applies(*, kind, is_commercial, is_van, seats, at) -> bool:
    return kind == "small_passenger" and not is_commercial and seats <= 9 and not is_van and at >= REFORM_FROM


def cycle_months(*, kind, is_commercial, is_van, seats, registered_on, at) -> int:
    """Length in months of the inspection cycle that starts on `at`."""
    age = age_years(registered_on, at)
    if is_commercial and kind in ("small_passenger", "large_passenger"):
        return 12 if age < 5 else 6
    if kind in ("truck", "large_passenger"):
        return 12 if age < 10 else 6
    if reform_applies(kind=kind, is_commercial=is_commercial, is_van=is_van, seats=seats, at=at):
        return 24 if age < 10 else 12
    if kind == "small_passenger":
        return 24 if age < 6 else (12 if age < 15 else 6)
    if kind == "motorcycle":
        return 24 if age < 4 else 12
    return 12


def claims_mark_online(*, kind, is_commercial, is_van, seats, registered_on, at) -> bool:
    """True when the inspection due on `at` needs no on-site test (R-INSP22: years 2, 4, 8)."""
    return (
        reform_applies(kind=kind, is_commercial=is_commercial, is_van=is_van, seats=seats, at=at)
        and age_years(registered_on, at) in CLAIM_MARK_YEARS
    )


def vehicle_cycle_months(vehicle, at=None) -> int:
    at = at or vehicle.inspection_valid_until
    return cycle_months(
        kind=vehicle.kind,
        is_commercial=vehicle.is_commercial,
        is_van=vehicle.is_van,
        seats=vehicle.seats,
        registered_on=vehicle.registered_on,
        at=at,
    )


# The same rules for PostgreSQL. Plain SQL functions made of one expression are inlined by the
# planner, so calling them per row in the sweep costs no function-call overhead.
_AGE = "COALESCE(date_part('year', age(at::timestamp, registered_on::timestamp))::int, 0)"
_REFORM = (
    f"(kind = 'small_passenger' AND NOT is_commercial AND seats <= 9 AND NOT is_van AND at >= DATE '{REFORM_FROM}')"
)

SQL_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION notices_inspection_cycle_months(
    kind text, is_commercial boolean, is_van boolean, seats integer, registered_on date, at date
) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN is_commercial AND kind IN ('small_passenger', 'large_passenger') THEN CASE WHEN {_AGE} < 5 THEN 12 ELSE 6 END
    WHEN kind IN ('truck', 'large_passenger') THEN CASE WHEN {_AGE} < 10 THEN 12 ELSE 6 END
    WHEN {_REFORM} THEN CASE WHEN {_AGE} < 10 THEN 24 ELSE 12 END
    WHEN kind = 'small_passenger' THEN CASE WHEN {_AGE} < 6 THEN 24 WHEN {_AGE} < 15 THEN 12 ELSE 6 END
    WHEN kind = 'motorcycle' THEN CASE WHEN {_AGE} < 4 THEN 24 ELSE 12 END
    ELSE 12
END
$$;
CREATE OR REPLACE FUNCTION notices_claims_mark_online(
    kind text, is_commercial boolean, is_van boolean, seats integer, registered_on date, at date
) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
SELECT {_REFORM} AND {_AGE} IN {CLAIM_MARK_YEARS}
$$;
"""

DROP_SQL_FUNCTIONS = """
DROP FUNCTION IF EXISTS notices_inspection_cycle_months(text, boolean, boolean, integer, date, date);
DROP FUNCTION IF EXISTS notices_claims_mark_online(text, boolean, boolean, integer, date, date);
"""
