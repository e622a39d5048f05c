"""The draw when a window closes, its notices, counter cancellation and freed-seat offers."""

import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from exams import sql
from exams.models import (
    ExamPlan,
    ExamRequest,
    LearnerRecord,
)
from exams.services.common import ExamError, local_start, local_today, plan_context
from exams.services.fees import fee_close_open, fee_refund, fee_terms
from portal import audit, citysettings, identity, workdays


# --- The draw -----------------------------------------------------------------------------------
def plans_due(today=None) -> list[int]:
    today = today or local_today()
    return list(
        ExamPlan.objects.filter(status=ExamPlan.Status.PUBLISHED, closes_on__lte=today).values_list("pk", flat=True)
    )


def plans_allocate(plan_ids, *, now=None) -> list[int]:
    """Run the draw for plans whose window has closed; returns the ids actually allocated.

    Set-based and idempotent. Steps, in one transaction: move published -> allocated with a
    conditional UPDATE (a concurrent or repeated run finds nothing to move); rank every live
    request per plan with ROW_NUMBER() over (priority, ranking time, draw hash), those within
    capacity get a seat, the rest are not allocated; fix each seat's fee and the time it must be
    paid by (fees.fee_terms); mark priority bookings used; write the audit rows. Notices are
    sent afterwards by decisions_notify (see sweep).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.DRAW_CLOSE_PLANS, [now, list(plan_ids), today])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        cursor.execute(sql.DRAW_RANK_REQUESTS, [now, ids])
        terms = {plan.pk: fee_terms(plan, now) for plan in ExamPlan.objects.filter(pk__in=ids).select_related("city")}
        charged = [pk for pk, (fee, _due) in terms.items() if fee is not None]
        cursor.execute(sql.DRAW_SET_FEES, [charged, [terms[pk][0] for pk in charged], [terms[pk][1] for pk in charged]])
        cursor.execute(sql.DRAW_USE_PRIORITY, [ids])
        used = [row[0] for row in cursor.fetchall()]
        sql.history_rows(cursor, ExamPlan, "id = ANY(%s)", [ids], "allocated", now)
        sql.history_rows(
            cursor, ExamRequest, "plan_id = ANY(%s) AND status IN ('allocated', 'not_allocated')", [ids], "draw", now
        )
        sql.history_rows(cursor, LearnerRecord, "id = ANY(%s)", [used], "priority booking used", now)
    return ids


def plan_allocate(plan: ExamPlan, *, now=None) -> bool:
    return bool(plans_allocate([plan.pk], now=now))


# Requests told per call of decisions_notify by the sweep: a draw of 100,000 requests is told
# in batches, each plan's notices in one short transaction, so a worker's memory stays flat and a
# run ends well before the next one is due (the rest is left for it, or for the next batch).
DECISIONS_BATCH = 2000


def decisions_notify(plan_ids, *, now=None, limit: int | None = None) -> int:
    """Tell every candidate of these plans whether they got a seat, then mark the plans done
    with it (idempotent: each notice has a dedupe key, a crash half-way is simply re-run).

    Plan by plan, each in its own transaction with the plan's row locked (SKIP LOCKED: a sweep
    running beside this one passes over a plan being told instead of telling it twice), its
    requests read in chunks (never the whole draw in memory). No new plan is started once
    `limit` requests have been told; the plans left keep decisions_sent_at empty for the next
    call. Returns how many decision notices were written."""
    now = now or timezone.now()
    sent = told = 0
    for plan_id in plan_ids:
        if limit is not None and told >= limit:
            break
        with transaction.atomic():
            plan = (
                ExamPlan.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("site", "city")
                .filter(pk=plan_id, decisions_sent_at__isnull=True)
                .first()
            )
            if plan is None:  # already told, or being told by another worker
                continue
            context = plan_context(plan)
            requests = plan.requests.filter(
                status__in=[ExamRequest.Status.ALLOCATED, ExamRequest.Status.NOT_ALLOCATED]
            ).order_by("pk")
            for req in requests.iterator(chunk_size=500):
                req.plan = plan  # one plan object for all its requests, not a copy per row
                allocated = req.status == ExamRequest.Status.ALLOCATED
                kind = "exams.allocated" if allocated else "exams.not_allocated"
                if notices.notify(
                    kind,
                    id_number=req.id_number,
                    city=plan.city,
                    context=context | {"number": req.number, "rank": req.rank},
                    dedupe_key=f"exams.decision.{req.pk}",
                ):
                    sent += 1
                if allocated:
                    _notify_fee_due(req, context)
                told += 1
            ExamPlan.objects.filter(pk=plan.pk).update(decisions_sent_at=now)
            audit.record_rows(ExamPlan.objects.filter(pk=plan.pk), "decisions sent")
    return sent


def decisions_pending() -> list[int]:
    """Allocated plans whose candidates have not been told yet (oldest draw first)."""
    return list(
        ExamPlan.objects.filter(status=ExamPlan.Status.ALLOCATED, decisions_sent_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _notify_fee_due(req: ExamRequest, context: dict) -> None:
    if req.fee is None or req.fee_paid_at is not None:
        return
    notices.notify(
        "exams.fee_due",
        id_number=req.id_number,
        city=req.city_id,  # the id is all the notice needs: no read of the city per request
        context=context
        | {
            "number": req.number,
            "fee": str(req.fee),
            "deadline": timezone.localtime(req.fee_due_at).strftime("%Y-%m-%d %H:%M"),
        },
        dedupe_key=f"exams.fee_due.{req.pk}.{req.fee_due_at:%Y%m%d%H%M}",
    )


# --- After the draw: counter cancellation and freed seats --------------------------------------
def booking_last_cancel_day(plan: ExamPlan) -> datetime.date:
    """Cancellation at the counter is possible up to 1 working day before the exam (R-DL art 47)."""
    return workdays.subtract_working_days(plan.date, 1)


def booking_cancel(req: ExamRequest, *, actor=None, now=None) -> ExamRequest:
    """Cancel a confirmed booking at the counter; counts as a self-cancellation for the ranking.

    Steps: check the last cancellation day; allocated -> cancelled (conditional UPDATE); stamp
    the record's self-cancellation time; refund a paid fee (cancelled in time) or close an open
    payment attempt; notify; offer the freed seat to the next in rank.
    """
    now = now or timezone.now()
    if timezone.localdate(now) > booking_last_cancel_day(req.plan):
        raise ExamError(
            _("A booking can be cancelled at the counter up to %(date)s (1 working day before the exam).")
            % {"date": booking_last_cancel_day(req.plan)}
        )
    with transaction.atomic():
        changed = ExamRequest.objects.filter(pk=req.pk, status=ExamRequest.Status.ALLOCATED).update(
            status=ExamRequest.Status.CANCELLED, decided_at=now
        )
        if not changed:
            raise ExamError(_("Only a confirmed booking can be cancelled at the counter."))
        LearnerRecord.objects.filter(pk=req.record_id).update(last_cancel_at=now)
        audit.record(LearnerRecord(pk=req.record_id), _("cancelled at the counter"), actor)
        req.refresh_from_db()
        audit.record(req, _("cancelled at the counter"), actor, reload=False)
        if not fee_refund(req, _("Exam booking cancelled in time at the counter")):
            fee_close_open(req)
        notices.notify(
            "exams.cancelled",
            id_number=req.id_number,
            city=req.city,
            context=plan_context(req.plan) | {"number": req.number},
            dedupe_key=f"exams.cancelled.{req.pk}",
        )
    seats_offer(req.plan, now=now)
    return req


def seats_offer(plan: ExamPlan, *, now=None) -> list[ExamRequest]:
    """Offer each free seat of an allocated plan to the next candidate in rank.

    Steps, in one transaction: lock the plan row (one offerer at a time per plan); count seats
    taken (allocated + offered); for each free seat take the best-ranked request that was not
    allocated, whose candidate has no other live request for the subject and still needs it;
    mark it offered with a deadline of exam_offer_hours (never past the exam's start); notify.
    """
    now = now or timezone.now()
    offered = []
    exam_start = local_start(plan.date, plan.starts_at)
    with transaction.atomic():
        locked = ExamPlan.objects.select_for_update().filter(pk=plan.pk, status=ExamPlan.Status.ALLOCATED).first()
        if locked is None or exam_start <= now:
            return []
        taken = ExamRequest.objects.filter(
            plan=locked, status__in=[ExamRequest.Status.ALLOCATED, ExamRequest.Status.OFFERED]
        ).count()
        hours = citysettings.get(locked.city, "exam_offer_hours")
        expires = min(now + datetime.timedelta(hours=hours), exam_start)
        skipped = set()
        while taken < locked.capacity:
            candidate = (
                ExamRequest.objects.filter(
                    plan=locked, status=ExamRequest.Status.NOT_ALLOCATED, record__status="active"
                )
                .exclude(pk__in=skipped)
                .order_by("rank", "id")
                .select_related("record")
                .first()
            )
            if candidate is None:
                break
            if candidate.record.passed_on(candidate.subject):
                skipped.add(candidate.pk)
                continue
            try:
                with transaction.atomic():
                    changed = ExamRequest.objects.filter(
                        pk=candidate.pk, status=ExamRequest.Status.NOT_ALLOCATED
                    ).update(status=ExamRequest.Status.OFFERED, offer_expires_at=expires, decided_at=now)
            except IntegrityError:  # the candidate has since made another live request for the subject
                skipped.add(candidate.pk)
                continue
            if not changed:
                skipped.add(candidate.pk)
                continue
            candidate.refresh_from_db()
            audit.record(candidate, _("freed seat offered"), reload=False)
            notices.notify(
                "exams.seat_offered",
                id_number=candidate.id_number,
                city=locked.city,
                context=plan_context(locked)
                | {"number": candidate.number, "deadline": timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")},
                dedupe_key=f"exams.seat_offered.{candidate.pk}",
            )
            offered.append(candidate)
            taken += 1
    return offered


def offer_respond(req: ExamRequest, *, id_number: str, accept: bool, now=None) -> ExamRequest:
    """Accept or decline a freed-seat offer before its deadline; a decline passes the seat on."""
    now = now or timezone.now()
    fee, due = fee_terms(req.plan, now) if accept else (None, None)
    with transaction.atomic():
        changed = ExamRequest.objects.filter(
            pk=req.pk,
            id_number_hash=identity.id_key(id_number),
            status=ExamRequest.Status.OFFERED,
            offer_expires_at__gt=now,
        ).update(
            status=ExamRequest.Status.ALLOCATED if accept else ExamRequest.Status.OFFER_DECLINED,
            decided_at=now,
            fee=fee,
            fee_due_at=due,
        )
        if not changed:
            raise ExamError(_("This offer is no longer open."))
        req.refresh_from_db()
        audit.record(req, _("offer accepted") if accept else _("offer declined"), reload=False)
        if accept:
            notices.notify(
                "exams.allocated",
                id_number=req.id_number,
                city=req.city,
                context=plan_context(req.plan) | {"number": req.number, "rank": req.rank},
                dedupe_key=f"exams.offer_accepted.{req.pk}",
            )
            _notify_fee_due(req, plan_context(req.plan))
    if not accept:
        seats_offer(req.plan, now=now)
    return req


def offers_expire(*, now=None) -> int:
    """Offers past their deadline expire and the seat goes to the next candidate."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            ExamRequest.objects.select_for_update(skip_locked=True).filter(
                status=ExamRequest.Status.OFFERED, offer_expires_at__lte=now
            )
        )
        for req in expired:
            ExamRequest.objects.filter(pk=req.pk).update(status=ExamRequest.Status.OFFER_EXPIRED, decided_at=now)
            req.refresh_from_db()
            audit.record(req, _("offer expired"), reload=False)
    for plan in ExamPlan.objects.filter(pk__in={r.plan_id for r in expired}):
        seats_offer(plan, now=now)
    return len(expired)


def bookings_expire_unpaid(*, now=None) -> int:
    """Seats whose fee was not paid in time are freed and offered to the next in rank.

    Steps, per booking: allocated with its fee unpaid past fee_due_at -> unpaid (a conditional
    UPDATE: a payment settling at the same moment either lands first and keeps the seat, or
    finds it freed and is refunded, see fees.fee_paid); counted as a self-cancellation for the
    next ranking (the candidate let the seat go); the open cashier attempt is closed; notify;
    then the plan's freed seats are offered on.
    """
    now = now or timezone.now()
    freed = []
    due = ExamRequest.objects.filter(
        status=ExamRequest.Status.ALLOCATED, fee__isnull=False, fee_paid_at__isnull=True, fee_due_at__lte=now
    ).select_related("plan__site", "plan__city")
    for req in due:
        with transaction.atomic():
            if not _free_unpaid(req, now):
                continue  # paid (or otherwise moved on) since it was read
            LearnerRecord.objects.filter(pk=req.record_id).update(last_cancel_at=now)
            audit.record(LearnerRecord(pk=req.record_id), _("fee not paid in time"))
            req.refresh_from_db()
            audit.record(req, _("fee not paid in time"), reload=False)
            fee_close_open(req)
            notices.notify(
                "exams.fee_unpaid",
                id_number=req.id_number,
                city=req.city,
                context=plan_context(req.plan) | {"number": req.number, "fee": str(req.fee)},
                dedupe_key=f"exams.fee_unpaid.{req.pk}",
            )
        freed.append(req)
    for plan in ExamPlan.objects.filter(pk__in={r.plan_id for r in freed}).select_related("city", "site"):
        seats_offer(plan, now=now)
    return len(freed)


def _free_unpaid(req: ExamRequest, now) -> bool:
    """The one statement that decides between a late payment and the sweep (docs/rules.md §3)."""
    return bool(
        ExamRequest.objects.filter(
            pk=req.pk, status=ExamRequest.Status.ALLOCATED, fee_paid_at__isnull=True, fee_due_at__lte=now
        ).update(status=ExamRequest.Status.UNPAID, decided_at=now)
    )
