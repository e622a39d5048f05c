"""Requests for a seat (受理中 until the window closes): online, by phone, at the counter; withdrawal."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from exams import rules, sql
from exams.models import ExamPlan, ExamRequest, LearnerRecord
from exams.services.candidates import record_has_priority, record_key_time, records_list, request_refusals
from exams.services.common import ExamError, plan_context
from portal import audit, identity


def request_create(
    *, plan: ExamPlan, id_number: str, channel=ExamRequest.Channel.ONLINE, actor=None, now=None
) -> ExamRequest:
    """Request a seat in a published plan (受理中 until the window closes).

    Steps, in one transaction: share-lock the plan row (the draw cannot start under us, and
    requests run side by side) and reserve the request's id; find the candidate's learner
    record; check every eligibility rule; insert the request with its ranking key and the draw
    hash of its public number (the partial unique constraint refuses a second live request for
    the subject); for a phone or counter request notify the candidate (online, the page
    confirms it).
    """
    id_number = identity.normalize_id_number(id_number)
    return _request(
        plan.city,
        plan.pk,
        id_key=identity.id_key(id_number),
        id_number=id_number,
        channel=channel,
        actor=actor,
        now=now,
        given=plan,
    )


def request_create_online(*, city, plan_id: int, user, now=None) -> ExamRequest:
    """A candidate's own request from the plans page: request_create with the plan read (and
    locked) by its id in this city; `user` is the candidate (whose records are looked up, and
    whom the history row names). ExamPlan.DoesNotExist: no such plan in this city.

    The user's look-up key is enough: the session's user comes from the cache without the ID
    number (portal.auth_backends), and reading it would cost a query on every rush request, so
    the request stores the ID number of the candidate's learner record, found by the same key.
    """
    if not 0 < plan_id < 2**63:
        raise ExamPlan.DoesNotExist
    return _request(
        city,
        plan_id,
        id_key=user.id_number_hash,
        channel=ExamRequest.Channel.ONLINE,
        actor=None,
        by=user,
        now=now,
    )


def _request(
    city, plan_id: int, *, id_key: str, channel, actor, now, id_number=None, given=None, by=None
) -> ExamRequest:
    """`id_number` None: the candidate's own request, stored with their record's ID number (the
    record was found by `id_key`, so it is the same number; without a record it is refused)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            # Share-lock the plan (the draw's UPDATE waits for us and we see its result) and
            # take the request's id, whose public number "<plan>-<id>" the draw hash is made of.
            locked = sql.plan_share_lock(plan_id, city.pk)
            if locked is None:
                raise ExamPlan.DoesNotExist
            plan = given or locked
            plan.city = city
            # In record_find's order.
            records = records_list(city.pk, id_key)
            record = records[0] if records else None
            if record is not None and record.licence_class not in plan.licence_classes:
                # An applicant for two classes (rare) books with the record this session examines.
                for cls in plan.licence_classes:
                    other = next((r for r in records if r.licence_class == cls), None)
                    if other is not None:
                        record = other
                        break
            if record is not None:
                record.city = city  # same city (the query's filter): has_priority reads its settings
            reasons = request_refusals(record, plan, today=today)
            if reasons:
                raise ExamError(reasons[0], reasons)
            priority, key_time = record_has_priority(record, plan.subject, today), record_key_time(record)
            if locked.status != ExamPlan.Status.PUBLISHED or locked.closes_on <= today:
                raise ExamError(_("This plan is not taking requests."))
            if id_number is None:
                id_number = identity.normalize_id_number(record.id_number)
            req = ExamRequest(
                id=locked.next_request_id,
                plan=plan,
                record=record,
                city=city,
                id_number=id_number,
                id_number_hash=id_key,
                subject=plan.subject,
                channel=channel,
                status=ExamRequest.Status.REQUESTED,
                priority=priority,
                key_time=key_time,
                created_by=actor,
            )
            req.draw_hash = rules.draw_hash(plan.seed, req.number)
            # The partial unique constraint refuses a second live request for the subject. The
            # history row ("requested", by the candidate or the clerk) is simple-history's own,
            # written by its bulk path (portal.audit), cheaper on the rush than its post_save.
            audit.insert(req, "requested", by or actor, force_insert=True)
            if channel != ExamRequest.Channel.ONLINE:
                # Online the page itself confirms; by phone or at the counter the inbox does.
                notices.notify(
                    "exams.request_accepted",
                    id_number=id_number,
                    city=city,
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
            id_number_hash=identity.id_key(id_number),
            status=ExamRequest.Status.REQUESTED,
            plan__status=ExamPlan.Status.PUBLISHED,
            plan__closes_on__gt=timezone.localdate(now),
        ).update(status=ExamRequest.Status.WITHDRAWN, decided_at=now)
        if not changed:
            raise ExamError(_("This request can no longer be withdrawn online."))
        LearnerRecord.objects.filter(pk=req.record_id).update(last_cancel_at=now)
        audit.record(LearnerRecord(pk=req.record_id), _("withdrawn online"))
        req.refresh_from_db()
        audit.record(req, _("withdrawn online"), reload=False)
