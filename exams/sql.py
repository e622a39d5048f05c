"""Hand-written statements of exams' rush paths, with why the ORM does not write them.

Inspection booking (docs/rules.md §6.3): taking a slot's place, inserting the booking and its
history row are one statement, so a booking costs one round trip for them instead of three (the
ORM's conditional UPDATE, INSERT and simple_history's INSERT), and the slot row is locked only
for that statement and the commit. The UPDATE's row count still decides: no place, no row, no
booking; a second active booking of the car violates the partial unique constraint and the
whole statement (place included) is undone. The booking's id is drawn before (`booking_next_id`),
so that its notice can be written before this statement and the slot's row stays locked only
for the statement and the commit.
"""

import functools

from exams.models import InspectionBooking
from portal import history


@functools.cache
def booking_insert_sql() -> str:
    columns = [f.column for f in InspectionBooking._meta.concrete_fields]
    values = {
        "id": "%(id)s",
        "city_id": "%(city)s",
        "slot_id": "seat.id",
        "vehicle_id": "%(vehicle)s",
        "id_number": "%(id_number)s",
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
            {history.insert_sql(InspectionBooking, "ins", "+")}
        )
        SELECT id, created_at, changed_at FROM ins
    """


BOOKING_NEXT_ID_SQL = "SELECT nextval(pg_get_serial_sequence('exams_inspectionbooking', 'id'))"
