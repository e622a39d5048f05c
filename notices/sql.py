"""Hand-written statements of notices: what the ORM cannot say, and the set-based dispatch."""

import json

from django.db import connection

from notices.models import Notice
from portal import identity, idfields

_NOTIFY_SQL = f"""
INSERT INTO {Notice._meta.db_table} (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)
VALUES (%(id_number)s, %(id_number_hash)s, %(city)s, %(kind)s, %(context)s::jsonb, %(dedupe_key)s, %(created_at)s)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING *
"""


def notice_insert(*, id_number: str, city_id, kind: str, context: dict, dedupe_key, created_at) -> Notice | None:
    """Store a notice unless its dedupe_key was used; returns it, or None for a used key.

    Why SQL: INSERT ... ON CONFLICT DO NOTHING RETURNING says in one round trip whether the row
    was new, and a repeated key leaves the caller's transaction intact. The ORM cannot say it:
    bulk_create(ignore_conflicts=True) does not tell which rows it inserted, and create() in a
    savepoint adds two round trips to every notice of a rush (a plate confirmation sends one).
    """
    params = {
        # The ORM's field is bypassed: the ID number encrypted, and its look-up key (portal.idfields).
        "id_number": idfields.encrypt_id(id_number),
        "id_number_hash": identity.id_key(id_number),
        "city": city_id,
        "kind": kind,
        "context": json.dumps(context),
        "dedupe_key": dedupe_key,
        "created_at": created_at,
    }
    return next(iter(Notice.objects.raw(_NOTIFY_SQL, params)), None)


def notice_insert_from(source: str) -> str:
    """The notice INSERT as one part of a caller's own hand-written statement (a CTE of it): one
    notice per row of `source`, so the notice is written only when the caller's row is, in the
    same statement. Placeholders %(notice_*)s, filled by `notice_params`.

    Why: a rush write that is already one statement (exams' inspection booking, exams/sql.py)
    would otherwise need a transaction around it and this INSERT, three round trips more
    (BEGIN, the notice, COMMIT), with its row lock held across them.
    """
    return (
        f"INSERT INTO {Notice._meta.db_table} (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at)"
        " SELECT %(notice_id_number)s, %(notice_id_number_hash)s, CAST(%(notice_city)s AS bigint), %(notice_kind)s,"
        " CAST(%(notice_context)s AS jsonb), %(notice_dedupe_key)s, CAST(%(notice_created_at)s AS timestamptz)"
        f" FROM {source} ON CONFLICT (dedupe_key) DO NOTHING"
    )


def notice_params(*, id_number: str, city_id, kind: str, context: dict, dedupe_key, created_at) -> dict:
    """The parameters of `notice_insert_from`, as notice_insert stores them."""
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
