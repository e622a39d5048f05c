"""Hand-written statements of notices: what the ORM cannot say, and the set-based dispatch."""

import json

from django.db import connection

from notices.models import Notice
from portal import identity, idfields

_NOTICE_COLUMNS = "(id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)"

_NOTIFY_SQL = f"""
INSERT INTO {Notice._meta.db_table} {_NOTICE_COLUMNS}
VALUES (%(notice_id_number)s, %(notice_id_number_hash)s, %(notice_city)s, %(notice_kind)s,
        %(notice_context)s::jsonb, %(notice_dedupe_key)s, %(notice_created_at)s)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
"""


def notice_insert(*, id_number: str, city_id, kind: str, context: dict, dedupe_key, created_at) -> Notice | None:
    """Store a notice unless its dedupe_key was used; returns it, or None for a used key.

    Why SQL: INSERT ... ON CONFLICT DO NOTHING RETURNING says in one round trip whether the row
    was new, and a repeated key leaves the caller's transaction intact. The ORM cannot say it:
    bulk_create(ignore_conflicts=True) does not tell which rows it inserted, and create() in a
    savepoint adds two round trips to every notice of a rush (a plate confirmation sends one).
    """
    params = notice_params(
        id_number=id_number, city_id=city_id, kind=kind, context=context, dedupe_key=dedupe_key, created_at=created_at
    )
    with connection.cursor() as cursor:
        cursor.execute(_NOTIFY_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    # Built from what was just written (only the id comes back): a raw() queryset reading the row
    # back cost twice the INSERT's Python (its column mapping, and decrypting the ID number again).
    notice = Notice(
        id=row[0],
        id_number=id_number,
        id_number_hash=params["notice_id_number_hash"],
        city_id=city_id,
        kind=kind,
        context=context,
        dedupe_key=dedupe_key,
        created_at=created_at,
    )
    notice._state.adding, notice._state.db = False, connection.alias
    return notice


def notice_insert_from(source: str) -> str:
    """The notice INSERT as one part of a caller's own hand-written statement (a CTE of it): one
    notice per row of `source`, so the notice is written only when the caller's row is, in the
    same statement. Placeholders %(notice_*)s, filled by `notice_params`.

    Why: a rush write that is already one statement (exams' inspection booking, exams/sql.py)
    would otherwise need a transaction around it and this INSERT, three round trips more
    (BEGIN, the notice, COMMIT), with its row lock held across them.
    """
    return (
        f"INSERT INTO {Notice._meta.db_table} {_NOTICE_COLUMNS}"
        " SELECT %(notice_id_number)s, %(notice_id_number_hash)s, CAST(%(notice_city)s AS bigint), %(notice_kind)s,"
        " CAST(%(notice_context)s AS jsonb), %(notice_dedupe_key)s, CAST(%(notice_created_at)s AS timestamptz)"
        f" FROM {source} ON CONFLICT (dedupe_key) DO NOTHING"
    )


def notice_params(*, id_number: str, city_id, kind: str, context: dict, dedupe_key, created_at) -> dict:
    """The parameters of both INSERTs. The ORM's field is bypassed: the ID number encrypted, and
    its look-up key beside it (portal.idfields)."""
    return {
        "notice_id_number": idfields.encrypt_id(id_number),
        "notice_id_number_hash": identity.id_key(id_number),
        "notice_city": city_id,
        "notice_kind": kind,
        "notice_context": json.dumps(context),
        "notice_dedupe_key": dedupe_key,
        "notice_created_at": created_at,
    }


_DISPATCH_SQL = """
WITH batch AS (
    SELECT id FROM notices_notice
    WHERE dispatched_at IS NULL
    ORDER BY id LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE notices_notice n SET dispatched_at = %(now)s FROM batch WHERE n.id = batch.id
    RETURNING n.id, n.id_number_hash, n.kind
), targets AS (
    SELECT m.id AS notice_id, m.kind, u.id AS user_id, u.mobile,
           m.kind = ANY(%(mandatory)s) AS mandatory, m.kind = ANY(%(urgent)s) AS urgent,
           p.sms AS wants_sms, p.push AS wants_push
    FROM marked m
    JOIN portal_user u ON u.id_number_hash = m.id_number_hash AND u.is_active
    LEFT JOIN notices_preference p ON p.user_id = u.id AND p.kind = m.kind
), planned AS (
    INSERT INTO notices_delivery
        (notice_id, channel, user_id, status, urgent, attempts, next_attempt_at, text, message_id, last_error,
         created_at)
    SELECT notice_id, 'sms', user_id, 'pending', urgent, 0,
           CASE WHEN urgent THEN %(now)s ELSE %(sms_at)s END, '', '', '', %(now)s
    FROM targets
    WHERE kind = ANY(%(sms_kinds)s) AND mobile <> '' AND (mandatory OR wants_sms IS NOT FALSE)
    UNION ALL
    SELECT notice_id, 'push', user_id, 'pending', urgent, 0, %(now)s, '', '', '', %(now)s
    FROM targets
    WHERE kind = ANY(%(push_kinds)s) AND (mandatory OR wants_push IS NOT FALSE)
    ON CONFLICT (notice_id, channel) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM planned)
"""


def notices_dispatch(params: dict) -> tuple[int, int]:
    """Claim a batch of undispatched notices and plan their deliveries; (notices, deliveries).

    Why SQL: set-based work over a whole batch in one statement, so a notice is planned exactly
    once even with several workers (SKIP LOCKED): the per-channel rules join each notice to its
    recipient's account and preferences, and ON CONFLICT keeps a delivery from being planned
    twice. Params: now, sms_at, limit and the kind lists (services.delivery._kind_lists).
    """
    with connection.cursor() as cursor:
        cursor.execute(_DISPATCH_SQL, params)
        return cursor.fetchone()


# --- Duties after each points cycle (docs/rules.md §6.2; R-DL arts 72, 74, 79) ----------------
# Why SQL: set-based work over the whole registry, like the sweeps (notices.services.sweeps): the
# newest cycle end of every licence, its stage and its dedupe key in one statement. Which of the
# candidates already acted (a medical on file, a cycle without points) is the certificates' and
# violations' knowledge, asked through portal.hooks between this statement and the insert below.
REVIEW_CLASSES = ("A1", "A2", "A3", "B1", "B2")  # R-DL art 72: large and medium bus, heavy trailer, large truck


def _one_year_after(day: str) -> str:
    """violations.services.common.one_year_after in SQL: 29 February moves to 1 March."""
    return f"(({day} + interval '1 year')::date + (to_char({day}, 'MMDD') = '0229')::int)"


# e: the first day after the newest cycle that has ended by today. The daily cycles job
# (violations.services.points.cycles_close) moves cycle_start on to it, but may not have run yet
# today: then the following start is already due. A first cycle (cycle_start = first issue) that
# has not ended has no end yet. The stage is "due" within 30 calendar days from e (R-DL's
# "三十日" is not in art 110's list of working-day periods, docs/rules.md §0) and "overdue" after
# that until the next cycle ends; a deferral covering today (docs/rules.md §4.7) suppresses both.
_CYCLE_END = f"""
CROSS JOIN LATERAL (SELECT {_one_year_after("l.cycle_start")} AS following) f
CROSS JOIN LATERAL (
    SELECT CASE WHEN f.following <= %(today)s THEN f.following
                WHEN l.cycle_start > l.first_issued_on THEN l.cycle_start END AS e
) ee
CROSS JOIN LATERAL (
    SELECT CASE WHEN %(today)s <= ee.e + 29 THEN 'due' ELSE 'overdue' END AS stage,
           CASE WHEN ee.e = f.following THEN l.cycle_start ELSE (ee.e - interval '1 year')::date END AS span_start
) st
"""

_CYCLE_DUTIES_SQL = f"""
SELECT l.id, l.id_number_hash, 'med' AS duty, ee.e, st.stage, st.span_start
FROM portal_drivinglicence l
{_CYCLE_END}
WHERE l.status <> 'cancelled'
  -- index range: 70 or more on a cycle end that lies on or before today
  AND l.holder_born_on <= (%(today)s::date - interval '70 years')::date
  AND l.holder_born_on <= (ee.e - interval '70 years')::date
  AND {_one_year_after("ee.e")} > %(today)s
  AND (l.medical_deferred_until IS NULL OR l.medical_deferred_until < %(today)s)
  AND NOT EXISTS (SELECT 1 FROM notices_notice n
                  WHERE n.dedupe_key = 'med:' || l.id || ':' || to_char(ee.e, 'YYYYMMDD') || ':' || st.stage)
UNION ALL
SELECT l.id, l.id_number_hash, 'rev' AS duty, ee.e, st.stage, st.span_start
FROM portal_drivinglicence l
{_CYCLE_END}
WHERE l.status <> 'cancelled'
  AND left(l.licence_class, 2) = ANY(%(review_classes)s)
  AND {_one_year_after("ee.e")} > %(today)s
  AND (l.review_deferred_until IS NULL OR l.review_deferred_until < %(today)s)
  AND NOT EXISTS (SELECT 1 FROM notices_notice n
                  WHERE n.dedupe_key = 'rev:' || l.id || ':' || to_char(ee.e, 'YYYYMMDD') || ':' || st.stage)
"""

# The notices of the candidates still due, with the registry's recipient: one INSERT ... SELECT.
_CYCLE_DUTIES_INSERT_SQL = f"""
INSERT INTO {Notice._meta.db_table} (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)
SELECT l.id_number, l.id_number_hash, l.city_id, c.kind,
       jsonb_build_object(
           'licence_class', l.licence_class, 'cycle_end', to_char(c.e - 1, 'YYYY-MM-DD'),
           'due_by', to_char(c.e + 29, 'YYYY-MM-DD'),
           'last_day', to_char({_one_year_after("c.e")} - 1, 'YYYY-MM-DD')) AS context,
       c.duty || ':' || l.id || ':' || to_char(c.e, 'YYYYMMDD') || ':' || c.stage AS dedupe_key, %(now)s
FROM unnest(%(ids)s::bigint[], %(duties)s::text[], %(ends)s::date[], %(stages)s::text[], %(kinds)s::text[])
    AS c(licence_id, duty, e, stage, kind)
JOIN portal_drivinglicence l ON l.id = c.licence_id
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING left(dedupe_key, 3)
"""


def cycle_duties_due(cursor, params: dict) -> list[tuple]:
    """Licences with a 70+ medical ('med') or an A/B review ('rev') due or overdue after their
    newest points cycle and not yet noticed for that stage: (licence_id, id_number_hash, duty,
    cycle end e, stage, start of the ended cycle). Params: today, review_classes."""
    cursor.execute(_CYCLE_DUTIES_SQL, params)
    return cursor.fetchall()


def cycle_duties_insert(cursor, rows: list[tuple], now) -> list[str]:
    """Store the notices of `rows` (licence_id, duty, e, stage, kind); returns the duty of each
    one that was new (a concurrent run may have taken a key)."""
    if not rows:
        return []
    ids, duties, ends, stages, kinds = (list(column) for column in zip(*rows, strict=True))
    params = {"ids": ids, "duties": duties, "ends": ends, "stages": stages, "kinds": kinds, "now": now}
    cursor.execute(_CYCLE_DUTIES_INSERT_SQL, params)
    return [duty for (duty,) in cursor.fetchall()]
