"""Every business rule and every write of driving-exam booking (rules.md §2).

Candidates (online) and clerks (phone, counter) go through the same functions. Scarce seats are
guarded by PostgreSQL: a partial unique constraint (one live request per candidate and subject),
a share lock on the plan row while requesting, and conditional UPDATEs that move a plan from
published to allocated exactly once.
"""

import csv
import datetime
import functools
import io
import secrets
from contextlib import nullcontext
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from exams import rules
from exams.models import (
    LIVE_STATUSES,
    ExamPlan,
    ExamRequest,
    ExamResult,
    ExamSite,
    LearnerRecord,
    Subject,
)
from portal import citysettings, identity, workdays


class ExamError(Exception):
    """A refusal with a message for the page (in the active language)."""

    def __init__(self, message, reasons=None):
        super().__init__(str(message))
        self.message = str(message)
        self.reasons = [str(r) for r in (reasons or [message])]


def _today():
    return timezone.localdate()


def _local_start(day: datetime.date, at: datetime.time = datetime.time.min) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


# --- Plans --------------------------------------------------------------------------------------
def window_closes_on(plan: ExamPlan) -> datetime.date:
    """The day the booking window closes and the draw runs: N working days before the exam."""
    return workdays.subtract_working_days(plan.date, citysettings.get(plan.city, "exam_close_working_days_before"))


def exam_fee(city, subject: str):
    """The fee (yuan, Decimal) of one booking of a subject [LOCAL]; the safe-driving theory part
    is covered by the subject 3 fee. Charged only for an allocated seat (rules.md 2.4, 2.6)."""
    if subject == Subject.SAFETY:
        return None
    return citysettings.get(
        city, {"1": "fee_exam_subject1", "2": "fee_exam_subject2", "3": "fee_exam_subject3"}[str(subject)]
    )


def is_open(plan: ExamPlan, today=None) -> bool:
    today = today or _today()
    return plan.status == ExamPlan.Status.PUBLISHED and plan.closes_on is not None and today < plan.closes_on


def validate_plan(site: ExamSite, subject: str, classes, date, starts_at, ends_at, capacity, exclude_id=None):
    """Raise ExamError unless the site examines this subject and these classes within its daily load."""
    if not site.is_active:
        raise ExamError(_("The site %(site)s is not in use.") % {"site": site.name})
    if subject not in site.subjects:
        raise ExamError(_("The site %(site)s does not examine this subject.") % {"site": site.name})
    missing = sorted(set(classes) - set(site.licence_classes))
    if not classes or missing:
        raise ExamError(
            _("The site %(site)s does not examine class %(classes)s.")
            % {"site": site.name, "classes": " ".join(missing) or "-"}
        )
    if ends_at <= starts_at:
        raise ExamError(_("A session must end after it starts."))
    if capacity is None or capacity < 1:
        raise ExamError(_("A session needs at least one seat."))
    booked = site.plans.filter(date=date).exclude(pk=exclude_id).values_list("capacity", flat=True)
    if sum(booked) + capacity > site.daily_capacity:
        raise ExamError(
            _("Sessions on %(date)s would exceed the daily capacity of %(site)s (%(cap)s).")
            % {"date": date, "site": site.name, "cap": site.daily_capacity}
        )


@transaction.atomic
def create_plans(
    *, site: ExamSite, subject: str, classes, first_date, days: int, sessions, capacity: int, working_days_only=True
):
    """Create draft plans for `days` consecutive days (skipping non-working days) x sessions.

    All or nothing: one invalid session rolls back the batch.
    """
    created = []
    for offset in range(days):
        day = first_date + datetime.timedelta(days=offset)
        if working_days_only and not workdays.is_working_day(day):
            continue
        for starts_at, ends_at in sessions:
            validate_plan(site, subject, classes, day, starts_at, ends_at, capacity)
            created.append(
                ExamPlan.objects.create(
                    city=site.city,
                    site=site,
                    subject=subject,
                    licence_classes=list(classes),
                    date=day,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=capacity,
                )
            )
    if not created:
        raise ExamError(_("No working day in that range: nothing was created."))
    return created


CSV_COLUMNS = ["site", "subject", "classes", "date", "starts_at", "ends_at", "capacity"]


def import_plans_csv(city, text: str):
    """Create draft plans from CSV rows (site name, subject 1-4, classes "C1 C2", date
    YYYY-MM-DD, start HH:MM, end HH:MM, seats); all rows or none, errors name the line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != CSV_COLUMNS:
        raise ExamError(_("The first line must be: %(columns)s") % {"columns": ",".join(CSV_COLUMNS)})
    sites = {s.name: s for s in ExamSite.objects.filter(city=city)}
    created = []
    with transaction.atomic():
        for line, row in enumerate(reader, start=2):
            try:
                site = sites[row["site"].strip()]
            except KeyError:
                raise ExamError(
                    _("Line %(line)s: no exam site named %(name)s.") % {"line": line, "name": row["site"]}
                ) from None
            try:
                subject = row["subject"].strip()
                if subject not in Subject.values:
                    raise ValueError(subject)
                classes = row["classes"].split()
                date = datetime.date.fromisoformat(row["date"].strip())
                starts_at = datetime.time.fromisoformat(row["starts_at"].strip())
                ends_at = datetime.time.fromisoformat(row["ends_at"].strip())
                capacity = int(row["capacity"])
            except (ValueError, AttributeError):
                raise ExamError(_("Line %(line)s: a value is not valid.") % {"line": line}) from None
            try:
                validate_plan(site, subject, classes, date, starts_at, ends_at, capacity)
            except ExamError as exc:
                raise ExamError(_("Line %(line)s: %(error)s") % {"line": line, "error": exc.message}) from None
            created.append(
                ExamPlan.objects.create(
                    city=city,
                    site=site,
                    subject=subject,
                    licence_classes=classes,
                    date=date,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=capacity,
                )
            )
    if not created:
        raise ExamError(_("The file holds no plans."))
    return created


def publish_plan(plan: ExamPlan, *, now=None) -> ExamPlan:
    """Publish a draft plan at least N days (exam_publish_days_before) before the exam.

    Steps: check the lead time; fix the closing day and draw a public seed; move draft ->
    published with a conditional UPDATE; announce it on the city's site.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    lead = citysettings.get(plan.city, "exam_publish_days_before")
    if (plan.date - today).days < lead:
        raise ExamError(
            _("A plan must be published at least %(days)s days before the exam: %(date)s is too close.")
            % {"days": lead, "date": plan.date}
        )
    closes_on = window_closes_on(plan)
    if closes_on <= today:
        # Possible around long holidays: the window would close before it opened.
        raise ExamError(
            _(
                "The booking window of this plan would close on %(date)s, before it could open: choose a later exam date."
            )
            % {"date": closes_on}
        )
    with transaction.atomic():
        changed = ExamPlan.objects.filter(pk=plan.pk, status=ExamPlan.Status.DRAFT).update(
            status=ExamPlan.Status.PUBLISHED, published_at=now, closes_on=closes_on, seed=secrets.token_hex(32)
        )
        if not changed:
            raise ExamError(_("Only a draft plan can be published."))
        plan.refresh_from_db()
        _snapshot(plan, _("published"))
        notices.announce(
            "exams.plan_published",
            city=plan.city,
            context={
                "date": plan.date.isoformat(),
                "session": plan.session,
                "site": plan.site.name,
                "subject": str(plan.get_subject_display()),
                "capacity": plan.capacity,
                "closes_on": closes_on.isoformat(),
                "seed": plan.seed,
            },
            dedupe_key=f"exams.plan_published.{plan.pk}",
        )
    return plan


def _snapshot(obj, reason):
    """Write a history row for a change made by a conditional UPDATE (which bypasses save())."""
    type(obj).history.model.objects.create(
        **{f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields},
        history_date=timezone.now(),
        history_type="~",
        history_change_reason=str(reason)[:100],
    )


# --- Candidates and eligibility -----------------------------------------------------------------
def record_for(city, id_number: str, licence_class: str | None = None):
    """The candidate's active learner record in this city (the newest, or for this class),
    annotated with the subjects of their live requests (read in the same query)."""
    live = (
        ExamRequest.objects.filter(id_number=OuterRef("id_number"), status__in=LIVE_STATUSES)
        .order_by()
        .values("subject")
    )
    qs = (
        LearnerRecord.objects.filter(city=city, id_number=identity.id_key(id_number))
        .exclude(status=LearnerRecord.Status.COMPLETED)
        .annotate(live_subjects=ArraySubquery(live))
    )
    if licence_class:
        qs = qs.filter(licence_class=licence_class)
    return qs.order_by("status", "-application_accepted_at").first()  # "active" sorts before "void"


@dataclass
class CandidateState:
    """What eligibility needs beyond the record, read once per page."""

    live_subjects: set
    last_failed_on: dict  # subject -> exam date of the newest failed or missed booking


def candidate_state(record: LearnerRecord, subjects=None) -> CandidateState:
    """`subjects`: the plan subjects the caller will check (None: all); subject 1 has no failure wait."""
    live = getattr(record, "live_subjects", None)
    if live is None:
        live = ExamRequest.objects.filter(id_number=record.id_number, status__in=LIVE_STATUSES).values_list(
            "subject", flat=True
        )
    live = set(live)
    if subjects is not None and not set(subjects) & {Subject.TWO, Subject.ROAD}:
        return CandidateState(live, {})
    failed = (
        ExamResult.objects.filter(
            request__record=record, outcome__in=[ExamResult.Outcome.FAIL, ExamResult.Outcome.NO_SHOW]
        )
        .values("request__subject")
        .annotate(last=Max("request__plan__date"))
    )
    return CandidateState(live, {row["request__subject"]: row["last"] for row in failed})


def refusals(
    record: LearnerRecord | None, plan: ExamPlan, *, today=None, state: CandidateState | None = None
) -> list[str]:
    """Every reason this candidate may not request this plan today (empty: eligible)."""
    today = today or _today()
    if record is None:
        return [
            _(
                "There is no licence application for you at this city's vehicle administration office: "
                "apply at the counter first."
            )
        ]
    reasons = []
    if record.status == LearnerRecord.Status.VOID:
        return [
            _("Your learner record was voided on %(date)s; a new licence application is needed.")
            % {"date": record.voided_on}
        ]
    if plan.city_id != record.city_id:
        reasons.append(_("This plan belongs to another city."))
    if plan.status != ExamPlan.Status.PUBLISHED:
        reasons.append(_("This plan is not taking requests."))
    elif not is_open(plan, today):
        reasons.append(_("The booking window for this plan closed on %(date)s.") % {"date": plan.closes_on})
    cls = record.licence_class
    if cls not in plan.licence_classes:
        reasons.append(_("This session does not examine class %(cls)s.") % {"cls": cls})
    state = state or candidate_state(record, [plan.subject])
    subject = plan.subject
    if record.passed_on(subject):
        reasons.append(_("You have already passed this subject."))
    if subject in state.live_subjects:
        reasons.append(_("You already have a live request or booking for this subject."))

    if subject != Subject.ONE:
        if not record.subject1_passed_on or not record.permit_issued_on:
            reasons.append(_("Subject 1 must be passed first."))
        else:
            if record.permit_valid_until and plan.date > record.permit_valid_until:
                reasons.append(
                    _("Your learner permit is valid until %(date)s, before this exam.")
                    % {"date": record.permit_valid_until}
                )
            if subject in (Subject.TWO, Subject.ROAD):
                wait = rules.permit_wait_days(cls, subject, record.holds_car_licence)
                allowed_from = record.permit_issued_on + datetime.timedelta(days=wait)
                if today < allowed_from:
                    reasons.append(
                        _(
                            "This subject can be requested once the learner permit has been held for %(days)s days, from %(date)s."
                        )
                        % {"days": wait, "date": allowed_from}
                    )
                used = record.subject2_bookings if subject == Subject.TWO else record.road_bookings
                if used >= rules.MAX_BOOKINGS:
                    reasons.append(
                        _("All %(n)s bookings for this subject within the permit's validity have been used.")
                        % {"n": rules.MAX_BOOKINGS}
                    )
                failed_on = state.last_failed_on.get(subject)
                if failed_on is not None:
                    retry_from = failed_on + datetime.timedelta(days=rules.FAIL_WAIT_DAYS)
                    if today < retry_from:
                        reasons.append(
                            _("After a failed booking a new request for this subject is possible from %(date)s.")
                            % {"date": retry_from}
                        )
            if subject == Subject.SAFETY:
                skills = [record.subject2_passed_on, record.road_passed_on]
                if None in skills or plan.date < max(skills):
                    reasons.append(
                        _(
                            "The safe and civil driving theory test is taken on the day of or after passing both "
                            "subject 2 and the road test."
                        )
                    )

    low, high = rules.age_limits(cls)
    age = rules.age_on(identity.birth_date(record.id_number), plan.date)
    if age < low:
        reasons.append(
            _("Class %(cls)s requires an age of at least %(age)s on the exam day.") % {"cls": cls, "age": low}
        )
    if high is not None and age > high:
        reasons.append(_("Class %(cls)s is open up to the age of %(age)s.") % {"cls": cls, "age": high})
    return reasons


def key_time_for(record: LearnerRecord) -> datetime.datetime:
    """The ranking time of rules.md 2.4: the application time before any exam, else the last
    exam date; a later self-cancellation or no-show replaces it. Earlier ranks higher."""
    key = record.application_accepted_at if record.last_exam_on is None else _local_start(record.last_exam_on)
    if record.last_cancel_at and record.last_cancel_at > key:
        key = record.last_cancel_at
    return key


def has_priority(record: LearnerRecord, subject: str, today) -> bool:
    """One priority booking per subject while the permit has under N months left."""
    if not record.permit_valid_until or subject in record.priority_used:
        return False
    months = citysettings.get(record.city, "exam_priority_months_left")
    return rules.add_months(today, months) > record.permit_valid_until


def request_seat(
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
    with connection.cursor() as cursor:
        cursor.execute(_records_sql(with_plan=False), [plan.city_id, id_number])
        rows = cursor.fetchall()
    records = [_record_from_row(row) for row in rows]
    return _request(plan, records, id_number=id_number, channel=channel, actor=actor, now=now)


def request_seat_online(*, city, plan_id: int, id_number: str, now=None) -> ExamRequest:
    """A candidate's own request from the plans page: request_seat with the plan and the
    candidate's learner records read in one query. ExamPlan.DoesNotExist: no such plan in this city."""
    id_number = identity.id_key(id_number)
    if not 0 < plan_id < 2**63:
        raise ExamPlan.DoesNotExist
    with connection.cursor() as cursor:
        cursor.execute(_records_sql(with_plan=True), [id_number, plan_id, city.pk])
        rows = cursor.fetchall()
    if not rows:
        raise ExamPlan.DoesNotExist
    n = len(_PLAN_FIELDS)
    plan = ExamPlan.from_db(connection.alias, _PLAN_FIELDS, rows[0][:n])
    plan.city = city
    # Without a learner record the LEFT JOIN still returns the plan, with a NULL record.
    records = [_record_from_row(row[n:]) for row in rows if row[n] is not None]
    return _request(plan, records, id_number=id_number, channel=ExamRequest.Channel.ONLINE, actor=None, now=now)


# The request path reads a candidate's learner records with the subjects of their live requests
# (anywhere) in one statement, in raw SQL because it runs on every request of an exam rush. It
# mirrors record_for() (same filter, order and live_subjects annotation), so candidate_state()
# adds only the failure-wait query, and only for subjects 2 and 3.
_PLAN_FIELDS = [f.attname for f in ExamPlan._meta.concrete_fields]
_RECORD_FIELDS = [f.attname for f in LearnerRecord._meta.concrete_fields]


@functools.cache
def _records_sql(*, with_plan: bool) -> str:
    record_columns = ", ".join(f'l."{f.column}"' for f in LearnerRecord._meta.concrete_fields)
    live = ", ".join(f"'{status}'" for status in LIVE_STATUSES)
    extras = f"""
        ARRAY(SELECT r.subject FROM exams_examrequest r
               WHERE r.id_number = l.id_number AND r.status IN ({live})) AS live_subjects"""
    order = "ORDER BY l.status, l.application_accepted_at DESC"  # "active" sorts before "void"
    completed = f"'{LearnerRecord.Status.COMPLETED}'"
    if not with_plan:
        return f"""
            SELECT {record_columns}, {extras}
              FROM exams_learnerrecord l
             WHERE l.city_id = %s AND l.id_number = %s AND l.status <> {completed}
             {order}"""
    plan_columns = ", ".join(f'p."{f.column}"' for f in ExamPlan._meta.concrete_fields)
    return f"""
        SELECT {plan_columns}, {record_columns}, {extras}
          FROM exams_examplan p
          LEFT JOIN exams_learnerrecord l
            ON l.city_id = p.city_id AND l.id_number = %s AND l.status <> {completed}
         WHERE p.id = %s AND p.city_id = %s
         {order}"""


def _record_from_row(row) -> LearnerRecord:
    record = LearnerRecord.from_db(connection.alias, _RECORD_FIELDS, row[: len(_RECORD_FIELDS)])
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
            INSERT INTO exams_examrequest (id, plan_id, record_id, city_id, id_number, subject, channel,
                                           status, priority, key_time, draw_hash, created_at, created_by_id)
            SELECT n.id, p.id, %s, p.city_id, %s, p.subject, %s, 'requested', %s, %s,
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


def _request(plan: ExamPlan, records: list, *, id_number: str, channel, actor, now) -> ExamRequest:
    """request_seat once the candidate's records are read (ordered as record_for orders them)."""
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
    reasons = refusals(record, plan, today=today)
    if reasons:
        raise ExamError(reasons[0], reasons)
    priority, key_time = has_priority(record, plan.subject, today), key_time_for(record)
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
                        id_number,
                        channel,
                        priority,
                        key_time,
                        now,
                        getattr(actor, "pk", None),
                        plan.pk,
                        today,
                        now,
                        getattr(actor, "pk", None),
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


def _plan_context(plan: ExamPlan) -> dict:
    return {
        "date": plan.date.isoformat(),
        "session": plan.session,
        "site": plan.site.name,
        "address": plan.site.address,
        "subject": str(plan.get_subject_display()),
    }


def current_rank(req: ExamRequest) -> int:
    """Position of a live request in its plan's draw right now (1 = first)."""
    ahead = ExamRequest.objects.filter(plan_id=req.plan_id, status=ExamRequest.Status.REQUESTED).filter(
        Q(priority__gt=req.priority)
        | Q(priority=req.priority, key_time__lt=req.key_time)
        | Q(priority=req.priority, key_time=req.key_time, draw_hash__lt=req.draw_hash)
    )
    return ahead.count() + 1


def withdraw(req: ExamRequest, *, id_number: str, now=None) -> None:
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


# --- The draw -----------------------------------------------------------------------------------
def due_plan_ids(today=None) -> list[int]:
    today = today or _today()
    return list(
        ExamPlan.objects.filter(status=ExamPlan.Status.PUBLISHED, closes_on__lte=today).values_list("pk", flat=True)
    )


def allocate_plans(plan_ids, *, now=None) -> list[int]:
    """Run the draw for plans whose window has closed; returns the ids actually allocated.

    Set-based and idempotent. Steps, in one transaction: move published -> allocated with a
    conditional UPDATE (a concurrent or repeated run finds nothing to move); rank every live
    request per plan with ROW_NUMBER() over (priority, ranking time, draw hash), those within
    capacity get a seat, the rest are not allocated; mark priority bookings used; write the
    audit rows. Notices are sent afterwards by notify_decisions (see sweep).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE exams_examplan SET status = 'allocated', allocated_at = %s"
            " WHERE id = ANY(%s) AND status = 'published' AND closes_on <= %s RETURNING id",
            [now, list(plan_ids), today],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        cursor.execute(
            """
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
            """,
            [now, ids],
        )
        cursor.execute(
            """
            UPDATE exams_learnerrecord l
               SET priority_used = array_append(l.priority_used, r.subject)
              FROM exams_examrequest r
             WHERE r.record_id = l.id AND r.plan_id = ANY(%s) AND r.status = 'allocated' AND r.priority
               AND NOT (r.subject = ANY(l.priority_used))
            """,
            [ids],
        )
        _history_rows(cursor, ExamPlan, "id = ANY(%s)", [ids], "allocated", now)
        _history_rows(
            cursor, ExamRequest, "plan_id = ANY(%s) AND status IN ('allocated', 'not_allocated')", [ids], "draw", now
        )
    return ids


def _history_rows(cursor, model, where, params, reason, now, history_type="~", user=None):
    """Set-based audit: one historical row per row written by raw SQL (which bypasses save())."""
    history = model.history.model
    columns = [f.column for f in model._meta.concrete_fields]
    cols = ", ".join(f'"{c}"' for c in columns)
    cursor.execute(
        f'INSERT INTO "{history._meta.db_table}" ({cols}, history_date, history_type, history_change_reason, history_user_id)'
        f' SELECT {cols}, %s, %s, %s, %s FROM "{model._meta.db_table}" WHERE {where}',
        [now, history_type, reason, getattr(user, "pk", None), *params],
    )


def allocate_plan(plan: ExamPlan, *, now=None) -> bool:
    return bool(allocate_plans([plan.pk], now=now))


def notify_decisions(plan_ids, *, now=None) -> int:
    """Tell every candidate of these plans whether they got a seat, then mark the plans done
    with it (idempotent: each notice has a dedupe key, a crash half-way is simply re-run)."""
    sent = 0
    for req in ExamRequest.objects.filter(
        plan_id__in=plan_ids,
        status__in=[ExamRequest.Status.ALLOCATED, ExamRequest.Status.NOT_ALLOCATED],
        plan__decisions_sent_at__isnull=True,
    ).select_related("plan__site", "plan__city"):
        allocated = req.status == ExamRequest.Status.ALLOCATED
        kind = "exams.allocated" if allocated else "exams.not_allocated"
        if notices.notify(
            kind,
            id_number=req.id_number,
            city=req.plan.city,
            context=_plan_context(req.plan) | {"number": req.number, "rank": req.rank},
            dedupe_key=f"exams.decision.{req.pk}",
        ):
            sent += 1
    ExamPlan.objects.filter(pk__in=plan_ids, decisions_sent_at__isnull=True).update(
        decisions_sent_at=now or timezone.now()
    )
    return sent


# --- After the draw: counter cancellation and freed seats --------------------------------------
def last_counter_cancel_day(plan: ExamPlan) -> datetime.date:
    """Cancellation at the counter is possible up to 1 working day before the exam (R-DL art 47)."""
    return workdays.subtract_working_days(plan.date, 1)


def cancel_at_counter(req: ExamRequest, *, actor=None, now=None) -> ExamRequest:
    """Cancel a confirmed booking at the counter; counts as a self-cancellation for the ranking.

    Steps: check the last cancellation day; allocated -> cancelled (conditional UPDATE); stamp
    the record's self-cancellation time; notify; offer the freed seat to the next in rank.
    """
    now = now or timezone.now()
    if timezone.localdate(now) > last_counter_cancel_day(req.plan):
        raise ExamError(
            _("A booking can be cancelled at the counter up to %(date)s (1 working day before the exam).")
            % {"date": last_counter_cancel_day(req.plan)}
        )
    with transaction.atomic():
        changed = ExamRequest.objects.filter(pk=req.pk, status=ExamRequest.Status.ALLOCATED).update(
            status=ExamRequest.Status.CANCELLED, decided_at=now
        )
        if not changed:
            raise ExamError(_("Only a confirmed booking can be cancelled at the counter."))
        LearnerRecord.objects.filter(pk=req.record_id).update(last_cancel_at=now)
        req.refresh_from_db()
        _snapshot(req, _("cancelled at the counter"))
        notices.notify(
            "exams.cancelled",
            id_number=req.id_number,
            city=req.city,
            context=_plan_context(req.plan) | {"number": req.number},
            dedupe_key=f"exams.cancelled.{req.pk}",
        )
    offer_freed_seats(req.plan, now=now)
    return req


def offer_freed_seats(plan: ExamPlan, *, now=None) -> list[ExamRequest]:
    """Offer each free seat of an allocated plan to the next candidate in rank.

    Steps, in one transaction: lock the plan row (one offerer at a time per plan); count seats
    taken (allocated + offered); for each free seat take the best-ranked request that was not
    allocated, whose candidate has no other live request for the subject and still needs it;
    mark it offered with a deadline of exam_offer_hours (never past the exam's start); notify.
    """
    now = now or timezone.now()
    offered = []
    exam_start = _local_start(plan.date, plan.starts_at)
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
            _snapshot(candidate, _("freed seat offered"))
            notices.notify(
                "exams.seat_offered",
                id_number=candidate.id_number,
                city=locked.city,
                context=_plan_context(locked)
                | {"number": candidate.number, "deadline": timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")},
                dedupe_key=f"exams.seat_offered.{candidate.pk}",
            )
            offered.append(candidate)
            taken += 1
    return offered


def respond_to_offer(req: ExamRequest, *, id_number: str, accept: bool, now=None) -> ExamRequest:
    """Accept or decline a freed-seat offer before its deadline; a decline passes the seat on."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = ExamRequest.objects.filter(
            pk=req.pk, id_number=identity.id_key(id_number), status=ExamRequest.Status.OFFERED, offer_expires_at__gt=now
        ).update(status=ExamRequest.Status.ALLOCATED if accept else ExamRequest.Status.OFFER_DECLINED, decided_at=now)
        if not changed:
            raise ExamError(_("This offer is no longer open."))
        req.refresh_from_db()
        _snapshot(req, _("offer accepted") if accept else _("offer declined"))
        if accept:
            notices.notify(
                "exams.allocated",
                id_number=req.id_number,
                city=req.city,
                context=_plan_context(req.plan) | {"number": req.number, "rank": req.rank},
                dedupe_key=f"exams.offer_accepted.{req.pk}",
            )
    if not accept:
        offer_freed_seats(req.plan, now=now)
    return req


def expire_offers(*, now=None) -> int:
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
            _snapshot(req, _("offer expired"))
    for plan in ExamPlan.objects.filter(pk__in={r.plan_id for r in expired}):
        offer_freed_seats(plan, now=now)
    return len(expired)


# --- Results ------------------------------------------------------------------------------------
def record_result(req: ExamRequest, outcome: str, *, actor=None, score=None, retake_score=None, now=None) -> ExamResult:
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
        record = LearnerRecord.objects.select_for_update().get(pk=req.record_id)
        result = ExamResult.objects.create(
            request=req, outcome=outcome, score=score, retake_score=retake_score, entered_by=actor
        )
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
                _issue_permit(record, plan.date)
            if all(record.passed_on(s) for s in ("1", "2", "3", "4")):
                record.status = LearnerRecord.Status.COMPLETED
        else:
            if outcome == ExamResult.Outcome.NO_SHOW:
                no_show_at = _local_start(plan.date, plan.starts_at)
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
            ExamPlan.objects.filter(pk=plan.pk, status=ExamPlan.Status.ALLOCATED).update(status=ExamPlan.Status.DONE)
        notices.notify(
            "exams.result",
            id_number=req.id_number,
            city=plan.city,
            context=_plan_context(plan) | {"outcome": str(result.get_outcome_display())},
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


def _issue_permit(record: LearnerRecord, issued_on: datetime.date):
    """The learner permit: valid 3 years, never past the class's upper age limit (rules.md 2.2)."""
    record.permit_issued_on = issued_on
    valid_until = rules.add_years(issued_on, rules.PERMIT_YEARS)
    high = rules.age_limits(record.licence_class)[1]
    if high is not None:
        # Still allowed on the day before the birthday after which the age exceeds the limit.
        last_day = rules.add_years(identity.birth_date(record.id_number), high + 1) - datetime.timedelta(days=1)
        valid_until = min(valid_until, last_day)
    record.permit_valid_until = valid_until
    if not record.permit_number:
        record.permit_number = f"{record.city.division_code}{issued_on:%Y}{record.pk:08d}"


@transaction.atomic
def create_learner_record(
    *, city, id_number: str, name: str, licence_class: str, accepted_at=None, holds_car_licence=False
):
    """Register an accepted licence application (a clerk at the counter)."""
    id_number = identity.validate_id_number(id_number)
    return LearnerRecord.objects.create(
        city=city,
        id_number=identity.id_key(id_number),
        name=name,
        licence_class=licence_class,
        application_accepted_at=accepted_at or timezone.now(),
        holds_car_licence=holds_car_licence,
    )


# --- The periodic sweep -------------------------------------------------------------------------
def sweep(*, now=None) -> dict:
    """Run every due draw, send its notices, expire lapsed offers and pass their seats on."""
    now = now or timezone.now()
    allocated = allocate_plans(due_plan_ids(timezone.localdate(now)), now=now)
    # Every allocated plan still without its notices (a crash between the two steps is retried).
    pending = list(
        ExamPlan.objects.filter(status=ExamPlan.Status.ALLOCATED, decisions_sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    sent = notify_decisions(pending, now=now)
    expired = expire_offers(now=now)
    return {"allocated": len(allocated), "notices": sent, "expired_offers": expired}
