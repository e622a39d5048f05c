"""Requests for a seat (受理中 until the window closes): online, by phone, at the counter; withdrawal."""

import functools
from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from exams.models import (
    LIVE_STATUSES,
    ExamPlan,
    ExamRequest,
    LearnerRecord,
)
from exams.services.candidates import record_has_priority, record_key_time, request_refusals
from exams.services.common import ExamError, _plan_context
from portal import audit, identity, idfields


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
    id_number = identity.normalize_id_number(id_number)
    with connection.cursor() as cursor:
        cursor.execute(_records_sql(with_plan=False), [plan.city_id, identity.id_key(id_number)])
        rows = cursor.fetchall()
    records = [_record_from_row(row) for row in rows]
    return _request(plan, records, id_number=id_number, channel=channel, actor=actor, now=now)


def request_create_online(*, city, plan_id: int, id_number: str, user=None, now=None) -> ExamRequest:
    """A candidate's own request from the plans page: request_create with the plan and the
    candidate's learner records read in one query (`user`, the candidate's account, is who the
    history row names). ExamPlan.DoesNotExist: no such plan in this city."""
    id_number = identity.normalize_id_number(id_number)
    if not 0 < plan_id < 2**63:
        raise ExamPlan.DoesNotExist
    with connection.cursor() as cursor:
        cursor.execute(_records_sql(with_plan=True), [identity.id_key(id_number), plan_id, city.pk])
        rows = cursor.fetchall()
    if not rows:
        raise ExamPlan.DoesNotExist
    n = len(_PLAN_FIELDS)
    plan = ExamPlan.from_db(connection.alias, _PLAN_FIELDS, rows[0][:n])
    plan.city = city
    # Without a learner record the LEFT JOIN still returns the plan, with a NULL record.
    records = [_record_from_row(row[n:]) for row in rows if row[n] is not None]
    return _request(
        plan, records, id_number=id_number, channel=ExamRequest.Channel.ONLINE, actor=None, by=user, now=now
    )


# The request path reads a candidate's learner records with the subjects of their live requests
# (anywhere) in one statement, in raw SQL because it runs on every request of an exam rush. It
# mirrors record_find() (same filter, order and live_subjects annotation), so candidate_state()
# adds only the failure-wait query, and only for subjects 2 and 3.
_PLAN_FIELDS = [f.attname for f in ExamPlan._meta.concrete_fields]
_RECORD_FIELDS = [f.attname for f in LearnerRecord._meta.concrete_fields]


@functools.cache
def _records_sql(*, with_plan: bool) -> str:
    record_columns = ", ".join(f'l."{f.column}"' for f in LearnerRecord._meta.concrete_fields)
    live = ", ".join(f"'{status}'" for status in LIVE_STATUSES)
    extras = f"""
        ARRAY(SELECT r.subject FROM exams_examrequest r
               WHERE r.id_number_hash = l.id_number_hash AND r.status IN ({live})) AS live_subjects"""
    order = "ORDER BY l.status, l.application_accepted_at DESC"  # "active" sorts before "void"
    completed = f"'{LearnerRecord.Status.COMPLETED}'"
    if not with_plan:
        return f"""
            SELECT {record_columns}, {extras}
              FROM exams_learnerrecord l
             WHERE l.city_id = %s AND l.id_number_hash = %s AND l.status <> {completed}
             {order}"""
    plan_columns = ", ".join(f'p."{f.column}"' for f in ExamPlan._meta.concrete_fields)
    return f"""
        SELECT {plan_columns}, {record_columns}, {extras}
          FROM exams_examplan p
          LEFT JOIN exams_learnerrecord l
            ON l.city_id = p.city_id AND l.id_number_hash = %s AND l.status <> {completed}
         WHERE p.id = %s AND p.city_id = %s
         {order}"""


def _record_from_row(row) -> LearnerRecord:
    record = idfields.from_row(LearnerRecord, _RECORD_FIELDS, row[: len(_RECORD_FIELDS)], connection.alias)
    record.live_subjects = row[len(_RECORD_FIELDS)]
    return record


@functools.cache
def _insert_sql() -> str:
    """The request and its audit row in one statement (built once: the history model's table
    name costs a manager class on every access)."""
    history = ExamRequest.history.model._meta.db_table
    columns = ", ".join(f'"{f.column}"' for f in ExamRequest._meta.concrete_fields)
    # Share-lock the plan while it is still open (the draw's UPDATE waits for us and we see its
    # result), take the id, insert with the draw hash of the public number "<plan>-<id>" (the
    # same as rules.draw_hash; tests compare them), write history.
    return f"""
        WITH ins AS (
            INSERT INTO exams_examrequest (id, plan_id, record_id, city_id, id_number, id_number_hash, subject,
                                           channel, status, priority, key_time, draw_hash, created_at,
                                           created_by_id)
            SELECT n.id, p.id, %s, p.city_id, %s, %s, p.subject, %s, 'requested', %s, %s,
                   encode(sha256(convert_to(p.seed || ':' || p.id || '-' ||
                          CASE WHEN n.id < 10000000 THEN lpad(n.id::text, 7, '0') ELSE n.id::text END,
                          'UTF8')), 'hex'),
                   %s, %s
              FROM exams_examplan p
             CROSS JOIN (SELECT nextval(pg_get_serial_sequence('exams_examrequest', 'id')) AS id) n
             WHERE p.id = %s AND p.status = 'published' AND p.closes_on > %s
               FOR SHARE OF p
            RETURNING *
        ), audit AS (
            INSERT INTO "{history}" ({columns}, history_date, history_type, history_change_reason, history_user_id)
            SELECT {columns}, %s, '+', 'requested', %s FROM ins
        )
        SELECT id, draw_hash, created_at FROM ins
    """


def _request(plan: ExamPlan, records: list, *, id_number: str, channel, actor, now, by=None) -> ExamRequest:
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
        # The request and its audit row in one statement: atomic on its own, so the online path
        # needs no transaction round trips; a phone or counter request adds its notice atomically
        # (and inside a caller's transaction a savepoint keeps a refused insert from breaking it).
        with (
            transaction.atomic()
            if channel != ExamRequest.Channel.ONLINE or connection.in_atomic_block
            else nullcontext()
        ):
            with connection.cursor() as cursor:
                cursor.execute(
                    _insert_sql(),
                    [
                        record.pk,
                        idfields.encrypt_id(id_number),  # the ID number encrypted, and its look-up key
                        identity.id_key(id_number),
                        channel,
                        priority,
                        key_time,
                        now,
                        getattr(actor, "pk", None),
                        plan.pk,
                        today,
                        now,
                        getattr(by or actor, "pk", None),  # the history row's user
                    ],
                )
                row = cursor.fetchone()
            if row is None:
                raise ExamError(_("This plan is not taking requests."))
            req = ExamRequest(
                id=row[0],
                plan=plan,
                record=record,
                city=plan.city,
                id_number=id_number,
                id_number_hash=identity.id_key(id_number),
                subject=plan.subject,
                channel=channel,
                status=ExamRequest.Status.REQUESTED,
                priority=priority,
                key_time=key_time,
                draw_hash=row[1],
                created_at=row[2],
                created_by=actor,
            )
            req._state.adding, req._state.db = False, "default"
            if channel != ExamRequest.Channel.ONLINE:
                # Online the page itself confirms; by phone or at the counter the inbox does.
                notices.notify(
                    "exams.request_accepted",
                    id_number=id_number,
                    city=plan.city,
                    context=_plan_context(plan) | {"number": req.number},
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
