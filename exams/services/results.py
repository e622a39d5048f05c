"""Exam results: the outcome of a booking and what it does to the learner record."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from exams import rules
from exams.models import (
    ExamPlan,
    ExamRequest,
    ExamResult,
    LearnerRecord,
    Subject,
)
from exams.services.candidates import permit_issue
from exams.services.common import ExamError, local_start, plan_context
from portal import audit


# --- Results ------------------------------------------------------------------------------------
def result_record(req: ExamRequest, outcome: str, *, actor=None, score=None, retake_score=None, now=None) -> ExamResult:
    """Enter the outcome of a booking (attempt + free retake) on or after the exam day.

    Steps, in one transaction with the booking and the learner record locked: store the result
    and close the booking; update the record (last exam date, bookings used for subject 2 and
    the road test, the pass; a subject 1 pass issues the 3-year learner permit; a no-show
    counts as a failure and as a self-cancellation time); a 5th failed subject 2 or road-test
    booking voids the other passes and the record; mark the plan done when every booking has a
    result; notify.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if outcome not in ExamResult.Outcome.values:
        raise ExamError(_("Choose an outcome."))
    with transaction.atomic():
        req = ExamRequest.objects.select_for_update().select_related("plan__site", "plan__city").get(pk=req.pk)
        plan = req.plan
        if req.status != ExamRequest.Status.ALLOCATED:
            raise ExamError(_("A result can only be entered for a confirmed booking."))
        if today < plan.date:
            raise ExamError(_("Results can be entered from the exam day on."))
        if req.fee_owed:
            raise ExamError(_("The fee of this booking has not been paid."))
        record = LearnerRecord.objects.select_for_update().get(pk=req.record_id)
        result = ExamResult(request=req, outcome=outcome, score=score, retake_score=retake_score, entered_by=actor)
        result._history_user = req._history_user = record._history_user = actor
        result.save()
        req.status = ExamRequest.Status.COMPLETED
        req.save(update_fields=["status"])

        subject = req.subject
        record.last_exam_on = max(filter(None, [record.last_exam_on, plan.date]))
        if subject == Subject.TWO:
            record.subject2_bookings += 1
        elif subject == Subject.ROAD:
            record.road_bookings += 1
        voided = False
        if result.passed:
            field = {
                "1": "subject1_passed_on",
                "2": "subject2_passed_on",
                "3": "road_passed_on",
                "4": "safety_passed_on",
            }
            setattr(record, field[subject], plan.date)
            if subject == Subject.ONE:
                permit_issue(record, plan.date)
            if all(record.passed_on(s) for s in ("1", "2", "3", "4")):
                record.status = LearnerRecord.Status.COMPLETED
        else:
            if outcome == ExamResult.Outcome.NO_SHOW:
                no_show_at = local_start(plan.date, plan.starts_at)
                if not record.last_cancel_at or no_show_at > record.last_cancel_at:
                    record.last_cancel_at = no_show_at
            used = {"2": record.subject2_bookings, "3": record.road_bookings}.get(subject, 0)
            if used >= rules.MAX_BOOKINGS:
                voided = True
                record.subject1_passed_on = record.subject2_passed_on = record.road_passed_on = None
                record.safety_passed_on = None
                record.status = LearnerRecord.Status.VOID
                record.voided_on = today
        record.save()

        if not ExamRequest.objects.filter(plan=plan, status=ExamRequest.Status.ALLOCATED).exists():
            if ExamPlan.objects.filter(pk=plan.pk, status=ExamPlan.Status.ALLOCATED).update(
                status=ExamPlan.Status.DONE
            ):
                audit.record(plan, "every result recorded", actor)
        notices.notify(
            "exams.result",
            id_number=req.id_number,
            city=plan.city,
            context=plan_context(plan) | {"outcome": str(result.get_outcome_display())},
            dedupe_key=f"exams.result.{req.pk}",
        )
        if voided:
            notices.notify(
                "exams.passes_voided",
                id_number=req.id_number,
                city=plan.city,
                context={"subject": str(plan.get_subject_display()), "bookings": rules.MAX_BOOKINGS},
                dedupe_key=f"exams.passes_voided.{record.pk}",
            )
    return result
