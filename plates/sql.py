"""The hand-written statements of plates: set-based work the ORM cannot say in one statement.

Everything a citizen's request does is written with the ORM (plates.services); what is left here
works on thousands of rows at once. The random-sample draw and the picker's scan live with the
selector that owns them (plates.selectors.draw_numbers, _scan_picker).
"""

from django.db import connection

from plates.models import Hold, PlateNumber

_NUMBERS = PlateNumber._meta.db_table
_HOLDS = Hold._meta.db_table


def numbers_generate(*, city_id: int, block_id: int, plate_type: str, prefix: str, sets, patterns, max_letters) -> int:
    """Insert every number of a block in one INSERT ... SELECT; returns how many were new.

    Why SQL: a block is tens of thousands of numbers, a cross join of the per-position character
    sets (`sets`, one string of characters per position). Generating them in PostgreSQL is one
    statement instead of a bulk_create of that many objects built in Python. A serial with more
    than `max_letters` letters is skipped (GA 36), one matching a withheld pattern starts
    withheld, and every number gets its random sort_key (selectors.draw_numbers). ON CONFLICT:
    repeat-safe.
    """
    joins = ", ".join(f"unnest(%s::text[]) AS p{i}" for i in range(len(sets)))
    concat = " || ".join(f"p{i}" for i in range(len(sets)))
    sql = (
        f"INSERT INTO {_NUMBERS} (city_id, block_id, plate_type, number, serial, status, sort_key)"
        f" SELECT %s, %s, %s, %s || s, s, CASE WHEN s ~ ANY(%s::text[]) THEN 'withheld' ELSE 'available' END, random()"
        f" FROM (SELECT {concat} AS s FROM {joins}) AS serials"
        f" WHERE length(regexp_replace(s, '[0-9]', '', 'g')) <= %s"
        f" ON CONFLICT (number) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [city_id, block_id, plate_type, prefix, patterns, *[list(s) for s in sets], max_letters])
        return cursor.rowcount


def holds_lapse_expired(*, now, chunk: int) -> list[tuple[int, int]]:
    """Move one chunk of held holds past their deadline to lapsed; returns their (id, number_id).

    Why SQL: a sweep works through any number of holds in chunks, and the ORM has no UPDATE ...
    RETURNING to tell it which rows its conditional update changed. SKIP LOCKED leaves a hold
    that another sweep (or a clerk) is working on to that one instead of waiting for it. A hold
    whose invoice awaits the office's review is never lapsed (Hold.under_review, docs/rules.md §2).
    """
    sql = f"""
UPDATE {_HOLDS} SET status = 'lapsed', ended_at = %(now)s
WHERE id IN (
    SELECT id FROM {_HOLDS} WHERE status = 'held' AND expires_at < %(now)s
      AND NOT (flagged AND approved_at IS NULL AND invoice_uploaded_at IS NOT NULL)
    ORDER BY expires_at LIMIT %(chunk)s FOR UPDATE SKIP LOCKED
)
RETURNING id, number_id
"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "chunk": chunk})
        return cursor.fetchall()
