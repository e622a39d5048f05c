"""Learner records and eligibility: who may request which plan, and their ranking key (docs/rules.md §3)."""

import datetime
import functools
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from exams import rules
from exams.models import (
    LIVE_STATUSES,
    ExamPlan,
    ExamRequest,
    ExamResult,
    LearnerRecord,
    Subject,
)
from exams.services.common import local_start, local_today, r_dl_period_end
from exams.services.plans import plan_is_open
from portal import citysettings, identity


# --- Candidates and eligibility -----------------------------------------------------------------
def records_query(city_id: int, id_key: str):
    """The candidate's learner records in this city that are not completed, each annotated with
    the subjects of their live requests (read in the same query), unordered: records_list orders
    them. `id_key`: portal.identity.id_key."""
    return (
        LearnerRecord.objects.filter(city_id=city_id, id_number_hash=id_key)
        .exclude(status=LearnerRecord.Status.COMPLETED)
        .annotate(live_subjects=_live_subjects())
        .order_by()
    )


@functools.cache
def _live_subjects() -> ArraySubquery:
    """The subjects of the record's candidate's live requests, as an annotation. Built once per
    process: it holds no per-request value (OuterRef), and annotate() resolves a copy of it
    (Subquery.copy clones its query), so sharing it between requests and threads is safe and
    saves building its filter on every exam request."""
    return ArraySubquery(
        ExamRequest.objects.filter(id_number_hash=OuterRef("id_number_hash"), status__in=LIVE_STATUSES)
        .order_by()
        .values("subject")
    )


def records_list(city_id: int, id_key: str, licence_class: str | None = None) -> list:
    """records_query's records (of this class, if given), the one a session examines first
    first: "active" before "void", then the newest. Sorted here rather than by an ORDER BY: a
    candidate has a record or two, and the ORDER BY was a sixth of the query's compilation on
    every exam request of a rush (docs/benchmarks.md)."""
    qs = records_query(city_id, id_key)
    if licence_class:
        qs = qs.filter(licence_class=licence_class)
    records = sorted(qs, key=lambda r: r.application_accepted_at, reverse=True)
    records.sort(key=lambda r: r.status)  # stable: the newest first within a status
    return records


def record_find(city, id_number: str, licence_class: str | None = None):
    """The candidate's active learner record in this city (the newest, or for this class),
    annotated with the subjects of their live requests (read in the same query)."""
    records = records_list(city.pk, identity.id_key(id_number), licence_class)
    return records[0] if records else None


@dataclass
class CandidateState:
    """What eligibility needs beyond the record, read once per page."""

    live_subjects: set
    last_failed_on: dict  # subject -> exam date of the newest failed or missed booking


def candidate_state(record: LearnerRecord, subjects=None) -> CandidateState:
    """`subjects`: the plan subjects the caller will check (None: all); subject 1 has no failure wait."""
    live = getattr(record, "live_subjects", None)
    if live is None:
        live = ExamRequest.objects.filter(id_number_hash=record.id_number_hash, status__in=LIVE_STATUSES).values_list(
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


def request_refusals(
    record: LearnerRecord | None, plan: ExamPlan, *, today=None, state: CandidateState | None = None
) -> list[str]:
    """Every reason this candidate may not request this plan today (empty: eligible)."""
    today = today or local_today()
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
    elif not plan_is_open(plan, today):
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
                allowed_from = r_dl_period_end(record.permit_issued_on, wait)
                if today < allowed_from:
                    if rules.counts_working_days(wait):
                        message = _(
                            "This subject can be requested once the learner permit has been held for %(days)s working days, from %(date)s."
                        )
                    else:
                        message = _(
                            "This subject can be requested once the learner permit has been held for %(days)s days, from %(date)s."
                        )
                    reasons.append(message % {"days": wait, "date": allowed_from})
                used = record.subject2_bookings if subject == Subject.TWO else record.road_bookings
                if used >= rules.MAX_BOOKINGS:
                    reasons.append(
                        _("All %(n)s bookings for this subject within the permit's validity have been used.")
                        % {"n": rules.MAX_BOOKINGS}
                    )
                failed_on = state.last_failed_on.get(subject)
                if failed_on is not None:
                    retry_from = r_dl_period_end(failed_on, rules.FAIL_WAIT_DAYS)
                    if today < retry_from:
                        reasons.append(
                            _(
                                "After a failed booking a new request for this subject is possible %(days)s working days later, from %(date)s."
                            )
                            % {"days": rules.FAIL_WAIT_DAYS, "date": retry_from}
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


def record_key_time(record: LearnerRecord) -> datetime.datetime:
    """The ranking time of docs/rules.md §3: the application time before any exam, else the last
    exam date; a later self-cancellation or no-show replaces it. Earlier ranks higher."""
    key = record.application_accepted_at if record.last_exam_on is None else local_start(record.last_exam_on)
    if record.last_cancel_at and record.last_cancel_at > key:
        key = record.last_cancel_at
    return key


def record_has_priority(record: LearnerRecord, subject: str, today) -> bool:
    """One priority booking per subject while the permit has under N months left."""
    if not record.permit_valid_until or subject in record.priority_used:
        return False
    months = citysettings.get(record.city, "exam_priority_months_left")
    return rules.add_months(today, months) > record.permit_valid_until


def permit_issue(record: LearnerRecord, issued_on: datetime.date):
    """The learner permit: valid 3 years, never past the class's upper age limit (docs/rules.md §3)."""
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
def record_create(*, city, id_number: str, name: str, licence_class: str, accepted_at=None, holds_car_licence=False):
    """Register an accepted licence application (a clerk at the counter)."""
    id_number = identity.validate_id_number(id_number)
    return LearnerRecord.objects.create(
        city=city,
        id_number=identity.normalize_id_number(id_number),
        name=name,
        licence_class=licence_class,
        application_accepted_at=accepted_at or timezone.now(),
        holds_car_licence=holds_car_licence,
    )
