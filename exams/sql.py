"""Hand-written SQL of exams that the ORM cannot say set-based or in one round trip (docs/architecture.md).

The exam draw's history rows (`history_rows`): the draw ranks and updates every request of a plan
in one statement, and their audit rows are copied in one INSERT ... SELECT.

Inspection booking (docs/rules.md §6.4): taking a slot's place, inserting the booking, its
history row and its notice are one statement, so a booking costs one round trip for them instead
of six (BEGIN, the ORM's conditional UPDATE, INSERT, simple_history's INSERT, the notice, COMMIT),
and the slot row is locked only while that statement runs and commits. The UPDATE's row count
still decides: no place, no row, no booking, no notice; a second active booking of the car
violates the partial unique constraint and the whole statement (place included) is undone. The
booking's id is drawn before (with the vehicle and the slot, `booking_vehicle_and_slot`), so that the
notice's number is known when the statement is written.

The booking's read (`booking_vehicle_and_slot`): the vehicle, the slot and the booking's id in
one round trip, which the ORM cannot say without a costly detour (see there).

The request's share lock on its plan (`plan_share_lock`): FOR SHARE, which the ORM cannot say.
"""

import functools

import notices
from exams.models import ExamPlan, ExamRequest, InspectionBooking, InspectionSlot, InspectionStation
from portal.models import Vehicle

# --- The draw (exams.services.allocation.plans_allocate) ----------------------------------------
# Set-based: every live request of the closing plans is ranked and decided in one statement, not
# loaded and saved row by row. DRAW_CLOSE_PLANS returns the ids it moved (the ORM's update() returns
# only a count, and a concurrent or repeated run must find nothing to move).
DRAW_CLOSE_PLANS = (
    "UPDATE exams_examplan SET status = 'allocated', allocated_at = %s"
    " WHERE id = ANY(%s) AND status = 'published' AND closes_on <= %s RETURNING id"
)
DRAW_RANK_REQUESTS = """
    UPDATE exams_examrequest r
       SET rank = ranked.rn,
           decided_at = %s,
           status = CASE WHEN ranked.rn <= ranked.capacity THEN 'allocated' ELSE 'not_allocated' END
      FROM (SELECT q.id, p.capacity,
                   ROW_NUMBER() OVER (PARTITION BY q.plan_id
                                      ORDER BY q.priority DESC, q.key_time, q.draw_hash, q.id) AS rn
              FROM exams_examrequest q JOIN exams_examplan p ON p.id = q.plan_id
             WHERE q.plan_id = ANY(%s) AND q.status = 'requested') ranked
     WHERE r.id = ranked.id
"""
# Each plan's fee and pay-by time (fees.fee_terms) onto its allocated seats, one statement for all.
DRAW_SET_FEES = """
    UPDATE exams_examrequest r SET fee = t.fee, fee_due_at = t.due
      FROM unnest(%s::bigint[], %s::numeric[], %s::timestamptz[]) AS t(plan_id, fee, due)
     WHERE r.plan_id = t.plan_id AND r.status = 'allocated'
"""
# Priority bookings used by allocated requests; returns the learner records changed (for history).
DRAW_USE_PRIORITY = """
    UPDATE exams_learnerrecord l
       SET priority_used = array_append(l.priority_used, r.subject)
      FROM exams_examrequest r
     WHERE r.record_id = l.id AND r.plan_id = ANY(%s) AND r.status = 'allocated' AND r.priority
       AND NOT (r.subject = ANY(l.priority_used))
    RETURNING l.id
"""


def history_rows(cursor, model, where: str, params: list, reason: str, now, user=None) -> None:
    """The history rows (django-simple-history's table) of every row the draw just changed.

    The draw (allocation.plans_allocate) ranks and updates every request of a plan in one
    statement; loading thousands of rows into Python only to write them back as history would
    cost more than the draw itself, so their audit rows are copied in one INSERT ... SELECT.
    The columns are the history model's own tracked fields, so the rows are those simple-history
    would write (portal.audit is the one writer for everything that is not set-based).
    """
    history = model.history.model
    columns = ", ".join(f'"{f.column}"' for f in history.tracked_fields)
    cursor.execute(
        f'INSERT INTO "{history._meta.db_table}"'
        f" ({columns}, history_date, history_type, history_change_reason, history_user_id)"
        f' SELECT {columns}, %s, %s, %s, %s FROM "{model._meta.db_table}" WHERE {where}',
        [now, "~", str(reason)[:100], getattr(user, "pk", None), *params],
    )


@functools.cache
def booking_insert_sql() -> str:
    """The booking statement; its notice is notices.notify_within's, one per inserted booking."""
    columns = [f.column for f in InspectionBooking._meta.concrete_fields]
    values = {
        "id": "%(id)s",
        "city_id": "%(city)s",
        "slot_id": "seat.id",
        "vehicle_id": "%(vehicle)s",
        "id_number": "%(id_number)s",  # idfields.encrypt_id(): the ORM's field is bypassed
        "id_number_hash": "%(id_number_hash)s",
        "status": "'booked'",
        "due_on": "CAST(%(due_on)s AS date)",
        "moves": "0",
        "created_at": "CAST(%(now)s AS timestamptz)",
        "changed_at": "CAST(%(now)s AS timestamptz)",
        "result_note": "''",
    }
    select = ", ".join(values.get(c, "NULL") for c in columns)
    cols = ", ".join(f'"{c}"' for c in columns)
    return f"""
        WITH seat AS (
            UPDATE exams_inspectionslot SET booked = booked + 1
             WHERE id = %(slot)s AND booked < capacity
            RETURNING id
        ), ins AS (
            INSERT INTO exams_inspectionbooking ({cols})
            SELECT {select} FROM seat
            RETURNING *
        ), audit AS (
            {_history_insert(InspectionBooking, "ins", "+")}
        ), notice AS (
            {notices.notice_insert_sql("ins")}
        )
        SELECT id, created_at, changed_at FROM ins
    """


def _history_insert(model, source: str, history_type: str) -> str:
    """One history row per row of `source` (a CTE with the model's columns), in the history
    model's own tracked fields: the rows simple-history would write (portal.audit is the writer
    for everything that is not inside a rush statement). Placeholders %(history_date)s,
    %(history_user)s and %(history_reason)s, typed for INSERT ... SELECT."""
    history = model.history.model
    cols = ", ".join(f'"{f.column}"' for f in history.tracked_fields)
    return (
        f'INSERT INTO "{history._meta.db_table}"'
        f" ({cols}, history_date, history_change_reason, history_type, history_user_id)"
        f" SELECT {cols}, CAST(%(history_date)s AS timestamptz), %(history_reason)s, '{history_type}',"
        f" CAST(%(history_user)s AS bigint) FROM {source}"
    )


def booking_vehicle_and_slot(*, city_id: int, vehicle_id: int, id_key: str, slot_id: int) -> Vehicle | None:
    """The booker's own vehicle in this city (None: not theirs), with the slot and its station as
    `slot_*` and `station_*` attributes (None: no such slot in the city), and a booking id drawn
    from the sequence (`next_booking_id`; a sequence is not transactional, and an id drawn for a
    booking that is then refused is a gap, as a rolled-back booking always left).

    Why SQL: a booking under a rush reads both rows, and two queries were two round trips. The
    ORM joins only along relations; it can carry the slot as a JSONObject of a subquery, but
    compiling that cost 0.4 ms of Python per booking, more than the round trip it saved
    (measured in process), where this statement costs none.
    """
    return next(
        iter(
            Vehicle.objects.raw(
                f"""
                SELECT v.*, {_NEXT_BOOKING_ID} AS next_booking_id,
                       s.id AS slot_id, s.date AS slot_date, s.starts_at AS slot_starts_at,
                       s.ends_at AS slot_ends_at, s.capacity AS slot_capacity, s.booked AS slot_booked,
                       st.id AS station_id, st.name AS station_name, st.address AS station_address,
                       st.is_active AS station_is_active, st.vehicle_kinds AS station_vehicle_kinds
                  FROM {Vehicle._meta.db_table} v
                  LEFT JOIN {InspectionSlot._meta.db_table} s ON s.id = %s AND s.city_id = %s
                  LEFT JOIN {InspectionStation._meta.db_table} st ON st.id = s.station_id
                 WHERE v.id = %s AND v.city_id = %s AND v.owner_id_number_hash = %s
                """,
                [slot_id, city_id, vehicle_id, city_id, id_key],
            )
        ),
        None,
    )


_NEXT_BOOKING_ID = f"nextval(pg_get_serial_sequence('{InspectionBooking._meta.db_table}', 'id'))"


def plan_share_lock(plan_id: int, city_id: int) -> ExamPlan | None:
    """The plan, share-locked until the end of the transaction, with the id reserved for a new
    request (`next_request_id`); None when the city has no such plan.

    Why SQL: a request must hold the plan row while it is checked and inserted, so that the
    draw's UPDATE of the plan waits for it and ranks it, and a request that waited sees the
    plan drawn. The ORM can only take FOR UPDATE or FOR NO KEY UPDATE, which would serialise
    every request of a rush on its plan; FOR SHARE lets them run side by side. The id is
    reserved here because the draw hash is made of the request's public number "<plan>-<id>"
    (exams.rules.draw_hash), so the row is inserted whole, with its history row.
    """
    sequence = f"pg_get_serial_sequence('{ExamRequest._meta.db_table}', 'id')"
    plans = ExamPlan.objects.raw(
        f"SELECT *, nextval({sequence}) AS next_request_id FROM {ExamPlan._meta.db_table}"
        " WHERE id = %s AND city_id = %s FOR SHARE",
        [plan_id, city_id],
    )
    return next(iter(plans), None)
