"""The registry sweeps (Celery beat, hourly): inspection, compulsory scrapping, driving licence,
points, and the 70+ medical and A/B review after each points cycle.

Each rule is one INSERT ... SELECT ... ON CONFLICT (dedupe_key) DO NOTHING, so the database does
the work on millions of rows, and the dedupe key is the sent marker: it names the vehicle or
licence, the validity period (or points cycle) and the stage, so each stage is sent once per
period. A stage is selected while "today" lies between its start and the start of the next
stage: a run that was missed catches up (the newest stage still applies), a repeated run finds
every key taken, and a long outage never sends a stage that a later one has overtaken.

"Today" and "now" are passed in from Python (never SQL's now()), so sweeps follow time travel
in tests and a catch-up run can be told which day it is.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from notices import own_kinds as k
from notices import sql
from portal import citysettings, hooks
from portal.models import City

CYCLE = "notices_inspection_cycle_months(v.kind, v.is_commercial, v.is_van, v.seats::int, v.registered_on, {at})"

# Vehicles the office still expects to see inspected (not new, not deregistered).
_LIVE = "v.status IN ('normal', 'overdue')"
_LIVE_OR_SCRAP = "v.status IN ('normal', 'overdue', 'scrap')"

_INSPECTION_SQL = f"""
INSERT INTO notices_notice (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)
SELECT v.owner_id_number AS id_number, v.owner_id_number_hash, v.city_id, s.kind,
       jsonb_build_object('plate', COALESCE(v.plate_number, v.vin), 'valid_until', to_char(d, 'YYYY-MM-DD')) AS context,
       'insp:' || v.id || ':' || to_char(d, 'YYYYMMDD') || ':' || s.stage AS dedupe_key, %(now)s
FROM portal_vehicle v
CROSS JOIN LATERAL (SELECT v.inspection_valid_until AS d) dd
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN d > %(today)s::date + 30 AND (d - interval '3 months')::date <= %(today)s THEN 'window'
        WHEN d > %(today)s::date + 7 AND d <= %(today)s::date + 30 THEN '30d'
        WHEN d >= %(today)s AND d <= %(today)s::date + 7 THEN '7d'
        WHEN d < %(today)s AND (d + make_interval(months => {CYCLE.format(at="d")}))::date > %(today)s THEN 'overdue'
    END AS stage
) st
CROSS JOIN LATERAL (
    SELECT CASE st.stage
        WHEN 'window' THEN CASE
            WHEN notices_claims_mark_online(v.kind, v.is_commercial, v.is_van, v.seats::int, v.registered_on, d)
            THEN '{k.INSPECTION_CLAIM_MARK}' ELSE '{k.INSPECTION_WINDOW}' END
        WHEN '30d' THEN '{k.INSPECTION_30D}'
        WHEN '7d' THEN '{k.INSPECTION_7D}'
        WHEN 'overdue' THEN '{k.INSPECTION_OVERDUE}'
    END AS kind, st.stage
) s
WHERE {_LIVE}
  -- index range: the longest cycle (24 months) back, the 3-month window (plus month-end slack) ahead
  AND v.inspection_valid_until >= (%(today)s::date - interval '24 months')::date
  AND v.inspection_valid_until <= (%(today)s::date + interval '3 months 3 days')::date
  AND st.stage IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
"""

# Consecutive missed cycles after the validity end d (R-SCRAP art 4(4)): cycle n ends at e<n>,
# each cycle's length taken from the vehicle's age when it starts (docs/rules.md §6.1 and §6.2).
# OFFSET 0 keeps each step a separate subquery: flattened, every later step would repeat the
# earlier ones' expressions (e3 would expand into seven cycle computations per use).
_CYCLE_ENDS = f"""
CROSS JOIN LATERAL (SELECT v.inspection_valid_until AS d) dd
CROSS JOIN LATERAL (SELECT (d + make_interval(months => {CYCLE.format(at="d")}))::date AS e1 OFFSET 0) c1
CROSS JOIN LATERAL (SELECT (e1 + make_interval(months => {CYCLE.format(at="e1")}))::date AS e2 OFFSET 0) c2
CROSS JOIN LATERAL (SELECT (e2 + make_interval(months => {CYCLE.format(at="e2")}))::date AS e3 OFFSET 0) c3
"""

_SCRAP_SQL = f"""
INSERT INTO notices_notice (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)
SELECT v.owner_id_number AS id_number, v.owner_id_number_hash, v.city_id, s.kind,
       jsonb_build_object(
           'plate', COALESCE(v.plate_number, v.vin), 'valid_until', to_char(d, 'YYYY-MM-DD'),
           'scrap_date', to_char(e3, 'YYYY-MM-DD'), 'void_date', to_char(e3 + g.days, 'YYYY-MM-DD')) AS context,
       'scrap:' || v.id || ':' || to_char(d, 'YYYYMMDD') || ':' || s.stage AS dedupe_key, %(now)s
FROM portal_vehicle v
JOIN (SELECT * FROM unnest(%(city_ids)s::bigint[], %(void_days)s::int[]) AS g(city_id, days)) g
  ON g.city_id = v.city_id
{_CYCLE_ENDS}
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN %(today)s >= e3 THEN 'decision'
        WHEN %(today)s >= (e3 - interval '2 months')::date THEN 'upcoming'
        WHEN %(today)s >= e2 THEN 'warning2'
        WHEN %(today)s >= e1 THEN 'warning1'
    END AS stage
) st
CROSS JOIN LATERAL (
    SELECT st.stage, CASE st.stage
        WHEN 'decision' THEN '{k.SCRAP_DECISION}'
        WHEN 'upcoming' THEN '{k.SCRAP_UPCOMING}'
        WHEN 'warning2' THEN '{k.SCRAP_WARNING_2}'
        WHEN 'warning1' THEN '{k.SCRAP_WARNING_1}'
    END AS kind
) s
WHERE {_LIVE_OR_SCRAP}
  -- the shortest cycle is 6 months: nothing younger can have missed one
  AND v.inspection_valid_until <= (%(today)s::date - interval '6 months')::date
  AND st.stage IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
"""

# Public announcement, without personal data: the plate (or VIN) and dates only.
_SCRAP_VOID_SQL = f"""
INSERT INTO notices_announcement
    (city_id, kind, context, title_text, body_text, dedupe_key, published, published_at)
SELECT v.city_id, '{k.SCRAP_VOID}' AS kind,
       jsonb_build_object('plate', COALESCE(v.plate_number, v.vin), 'scrap_date', to_char(e3, 'YYYY-MM-DD')) AS context,
       '', '', 'scrapvoid:' || v.id || ':' || to_char(d, 'YYYYMMDD') AS dedupe_key, true, %(now)s
FROM portal_vehicle v
JOIN (SELECT * FROM unnest(%(city_ids)s::bigint[], %(void_days)s::int[]) AS g(city_id, days)) g
  ON g.city_id = v.city_id
{_CYCLE_ENDS}
WHERE {_LIVE_OR_SCRAP}
  AND v.inspection_valid_until <= (%(today)s::date - interval '6 months')::date
  AND %(today)s >= e3 + g.days
ON CONFLICT (dedupe_key) DO NOTHING
"""

# R-DL arts 63, 79: renew within 90 days before expiry; cancelled more than 1 year after it. The
# date counted from is the renewal's due date: the expiry, or the later date an approved deferral
# moved it to (DrivingLicence.renewal_deferred_until, docs/rules.md §4.7). A deferred due date is
# never before the expiry, so the index range on valid_until still finds every row.
_LICENCE_SQL = f"""
INSERT INTO notices_notice (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)
SELECT l.id_number, l.id_number_hash, l.city_id, s.kind,
       jsonb_build_object('licence_class', l.licence_class, 'valid_until', to_char(d, 'YYYY-MM-DD')) AS context,
       'lic:' || l.id || ':' || to_char(d, 'YYYYMMDD') || ':' || s.stage AS dedupe_key, %(now)s
FROM portal_drivinglicence l
CROSS JOIN LATERAL (SELECT GREATEST(l.valid_until, l.renewal_deferred_until) AS d) dd
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN d >= %(today)s AND d <= %(today)s::date + 90 THEN 'window'
        WHEN d < %(today)s AND (d + interval '1 year')::date >= %(today)s THEN 'expired'
        WHEN (d + interval '1 year')::date < %(today)s THEN 'cancel'
    END AS stage
) st
CROSS JOIN LATERAL (
    SELECT st.stage, CASE st.stage
        WHEN 'window' THEN '{k.LICENCE_WINDOW}'
        WHEN 'expired' THEN '{k.LICENCE_EXPIRED}'
        WHEN 'cancel' THEN '{k.LICENCE_CANCELLED}'
    END AS kind
) s
WHERE l.status <> 'cancelled'
  AND l.valid_until <= %(today)s::date + 90
  AND d <= %(today)s::date + 90
  AND st.stage IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
"""

# R-PTS arts 17, 29: a warning from 9 points, the full-score notice at 12; once per points cycle.
_POINTS_SQL = f"""
INSERT INTO notices_notice (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)
SELECT l.id_number, l.id_number_hash, l.city_id,
       CASE WHEN l.points >= 12 THEN '{k.POINTS_12}' ELSE '{k.POINTS_9}' END AS kind,
       jsonb_build_object('points', l.points, 'cycle_start', to_char(l.cycle_start, 'YYYY-MM-DD')) AS context,
       'pts:' || l.id || ':' || to_char(l.cycle_start, 'YYYYMMDD') || ':'
           || CASE WHEN l.points >= 12 THEN '12' ELSE '9' END AS dedupe_key,
       %(now)s
FROM portal_drivinglicence l
WHERE l.points >= 9 AND l.status <> 'cancelled'
ON CONFLICT (dedupe_key) DO NOTHING
"""

RULES = [
    ("inspection", _INSPECTION_SQL),
    ("scrapping", _SCRAP_SQL),
    ("scrap_void", _SCRAP_VOID_SQL),
    ("licence", _LICENCE_SQL),
    ("points", _POINTS_SQL),
]


def _city_void_days():
    cities = list(City.objects.all())
    return [c.pk for c in cities], [citysettings.get(c, "notice_scrap_void_days") for c in cities]


def _run_rule(statement: str, params: dict) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compilation costs more than it saves on these index-range selections. Not waiting
        # for the WAL flush at commit is safe here: a sweep lost in a crash is redone by the next
        # run, which the dedupe keys make idempotent.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(statement, params)
        return cursor.rowcount


_DUTY_KINDS = {
    ("med", "due"): k.MEDICAL_DUE,
    ("med", "overdue"): k.MEDICAL_OVERDUE,
    ("rev", "due"): k.REVIEW_DUE,
    ("rev", "overdue"): k.REVIEW_OVERDUE,
}


def _run_cycle_duties(params: dict) -> dict[str, int]:
    """The 70+ medical and the A/B review after each points cycle (docs/rules.md §6.2).

    Steps, in one transaction: the registry's candidates (notices.sql.cycle_duties_due, which
    already leaves out every stage noticed before, so a repeated run asks nobody anything); the
    certificates app says who has a fit medical examined since the cycle ended and the violations
    app which A/B holders had points recorded in it (R-DL art 72 spares a cycle without any),
    each in one query through portal.hooks; one INSERT for the rest. Dedupe keys name the
    licence, the cycle end and the stage, so each is sent once.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL synchronous_commit = off")
        rows = sql.cycle_duties_due(cursor, {"today": params["today"], "review_classes": list(sql.REVIEW_CLASSES)})
        medicals = [(key, e) for _, key, duty, e, _, _ in rows if duty == "med"]
        examined = hooks.medicals_since(medicals)
        reviews = [(pk, start, e) for pk, _, duty, e, _, start in rows if duty == "rev"]
        with_points = hooks.points_recorded(reviews)
        due = [
            (pk, duty, e, stage, _DUTY_KINDS[duty, stage])
            for pk, key, duty, e, stage, _ in rows
            if (duty == "med" and key not in examined) or (duty == "rev" and pk in with_points)
        ]
        inserted = sql.cycle_duties_insert(cursor, due, params["now"])
    return {"medical": inserted.count("med"), "review": inserted.count("rev")}


def sweep(*, today: datetime.date | None = None, now: datetime.datetime | None = None) -> dict[str, int]:
    """Run every registry rule once for `today` (Beijing date); returns rows created per rule.

    Steps: per rule one INSERT ... SELECT ... ON CONFLICT DO NOTHING in its own transaction (a
    failing rule does not undo the others; the next hourly run retries it), then the duties after
    each points cycle (_run_cycle_duties). New notices are then dispatched to SMS/push by
    deliver_pending.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    city_ids, void_days = _city_void_days()
    params = {"today": today, "now": now, "city_ids": city_ids, "void_days": void_days}
    created = {name: _run_rule(statement, params) for name, statement in RULES}
    created.update(_run_cycle_duties(params))
    return created
