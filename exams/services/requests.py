"""Requests for a seat (受理中 until the window closes): online, by phone, at the counter; withdrawal."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from exams import rules, sql
from exams.models import ExamPlan, ExamRequest, LearnerRecord
from exams.services.candidates import record_has_priority, record_key_time, records_query, request_refusals
from exams.services.common import ExamError, _snapshot, plan_context
from portal import identity


def request_create(
    *, plan: ExamPlan, id_number: str, channel=ExamRequest.Channel.ONLINE, actor=None, now=None
) -> ExamRequest:
    """Request a seat in a published plan (受理中 until the window closes).

    Steps: find the candidate's learner record; check every eligibility rule; in one
    transaction share-lock the plan row (the draw cannot start under us), insert the request
    with its ranking key (the partial unique constraint refuses a second live request for the
    subject), stamp the draw hash of its public number; for a phone or counter request notify
    the candidate (online, the page confirms it).
    """
    id_number = identity.id_key(id_number)
    records = list(records_query(plan.city_id, id_number))
    return _request(plan, records, id_number=id_number, channel=channel, actor=actor, now=now)


def request_create_online(*, city, plan_id: int, id_number: str, now=None) -> ExamRequest:
    """A candidate's own request from the plans page: request_create with the plan read by its
    id in this city. ExamPlan.DoesNotExist: no such plan in this city."""
    if not 0 < plan_id < 2**63:
        raise ExamPlan.DoesNotExist
    plan = ExamPlan.objects.get(pk=plan_id, city=city)
    plan.city = city
    return request_create(plan=plan, id_number=id_number, now=now)


def _request(plan: ExamPlan, records: list, *, id_number: str, channel, actor, now) -> ExamRequest:
    """request_create once the candidate's records are read (ordered as record_find orders them)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    record = records[0] if records else None
    if record is not None and record.licence_class not in plan.licence_classes:
        # An applicant for two classes (rare) books with the record this session examines.
        for cls in plan.licence_classes:
            other = next((r for r in records if r.licence_class == cls), None)
            if other is not None:
                record = other
                break
    if record is not None:
        record.city = plan.city  # same city (the query's filter): has_priority reads its settings
    reasons = request_refusals(record, plan, today=today)
    if reasons:
        raise ExamError(reasons[0], reasons)
    priority, key_time = record_has_priority(record, plan.subject, today), record_key_time(record)
    try:
        with transaction.atomic():
            # Share-lock the plan while it is still open (the draw's UPDATE waits for us and we
            # see its result) and take the request's id, whose public number "<plan>-<id>" the
            # draw hash is made of (exams.sql.plan_share_lock_next_request_id).
            pk = sql.plan_share_lock_next_request_id(plan.pk, today)
            if pk is None:
                raise ExamError(_("This plan is not taking requests."))
            req = ExamRequest(
                id=pk,
                plan=plan,
                record=record,
                city=plan.city,
                id_number=id_number,
                subject=plan.subject,
                channel=channel,
                status=ExamRequest.Status.REQUESTED,
                priority=priority,
                key_time=key_time,
                created_by=actor,
            )
            req.draw_hash = rules.draw_hash(plan.seed, req.number)
            req._history_user, req._change_reason = actor, "requested"
            # The partial unique constraint refuses a second live request for the subject.
            req.save(force_insert=True)
            if channel != ExamRequest.Channel.ONLINE:
                # Online the page itself confirms; by phone or at the counter the inbox does.
                notices.notify(
                    "exams.request_accepted",
                    id_number=id_number,
                    city=plan.city,
                    context=plan_context(plan) | {"number": req.number},
                    dedupe_key=f"exams.request_accepted.{req.pk}",
                )
    except IntegrityError:
        raise ExamError(_("You already have a live request or booking for this subject.")) from None
    return req


def request_rank(req: ExamRequest) -> int:
    """Position of a live request in its plan's draw right now (1 = first)."""
    ahead = ExamRequest.objects.filter(plan_id=req.plan_id, status=ExamRequest.Status.REQUESTED).filter(
        Q(priority__gt=req.priority)
        | Q(priority=req.priority, key_time__lt=req.key_time)
        | Q(priority=req.priority, key_time=req.key_time, draw_hash__lt=req.draw_hash)
    )
    return ahead.count() + 1


def request_withdraw(req: ExamRequest, *, id_number: str, now=None) -> None:
    """Withdraw a request while the window is open; recorded as a self-cancellation (ranks later next time)."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = ExamRequest.objects.filter(
            pk=req.pk,
            id_number=identity.id_key(id_number),
            status=ExamRequest.Status.REQUESTED,
            plan__status=ExamPlan.Status.PUBLISHED,
            plan__closes_on__gt=timezone.localdate(now),
        ).update(status=ExamRequest.Status.WITHDRAWN, decided_at=now)
        if not changed:
            raise ExamError(_("This request can no longer be withdrawn online."))
        LearnerRecord.objects.filter(pk=req.record_id).update(last_cancel_at=now)
        req.refresh_from_db()
        _snapshot(req, _("withdrawn online"))
