"""Hand-written statements of exams where the ORM cannot say what is needed.

The draw (a ranked, set-based allocation of every request of the closed plans) lives with the
service that runs it (exams.services.allocation).
"""

from exams.models import ExamPlan, ExamRequest


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
