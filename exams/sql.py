"""Hand-written statements of exams where the ORM cannot say what is needed.

The draw (a ranked, set-based allocation of every request of the closed plans) lives with the
service that runs it (exams.services.allocation).
"""

from django.db import connection

from exams.models import ExamPlan, ExamRequest


def plan_share_lock_next_request_id(plan_id: int, today) -> int | None:
    """Share-lock the plan if it still takes requests and reserve the id of a new request.

    Why SQL: a request must hold the plan row while it is inserted, so that the draw's UPDATE of
    the plan waits for it and ranks it, and a request that waited sees the plan drawn. The ORM
    can only take FOR UPDATE or FOR NO KEY UPDATE, which would serialise every request of a rush
    on its plan; FOR SHARE lets them run side by side. The id is reserved here because the draw
    hash is made of the request's public number "<plan>-<id>" (exams.rules.draw_hash), so the
    row is inserted whole, with its history row. None: the plan is not published or its window
    has closed.
    """
    sequence = f"pg_get_serial_sequence('{ExamRequest._meta.db_table}', 'id')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval({sequence}) FROM {ExamPlan._meta.db_table}"
            " WHERE id = %s AND status = %s AND closes_on > %s FOR SHARE",
            [plan_id, ExamPlan.Status.PUBLISHED, today],
        )
        row = cursor.fetchone()
    return row[0] if row else None
