"""Exam plans: creation (one by one, a week at a time, CSV), validation, publication (docs/rules.md §3)."""

import csv
import datetime
import io
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from exams import rules
from exams.models import (
    LIVE_STATUSES,
    ExamPlan,
    ExamRequest,
    ExamSite,
    Subject,
)
from exams.services.common import ExamError, local_today, plan_context
from exams.services.fees import fee_close_open, fee_refund
from portal import audit, citysettings, workdays


# --- Plans --------------------------------------------------------------------------------------
def plan_closes_on(plan: ExamPlan) -> datetime.date:
    """The day the booking window closes and the draw runs: N working days before the exam."""
    return workdays.subtract_working_days(plan.date, citysettings.get(plan.city, "exam_close_working_days_before"))


def plan_is_open(plan: ExamPlan, today=None) -> bool:
    today = today or local_today()
    return plan.status == ExamPlan.Status.PUBLISHED and plan.closes_on is not None and today < plan.closes_on


def plan_validate(site: ExamSite, subject: str, classes, date, starts_at, ends_at, capacity, exclude_id=None):
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
def plans_create(
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
            plan_validate(site, subject, classes, day, starts_at, ends_at, capacity)
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


def plans_import_csv(city, text: str):
    """Create draft plans from CSV rows (site name, subject 1-4, classes "C1 C2", date
    YYYY-MM-DD, start HH:MM, end HH:MM, seats); all rows or none, errors name the line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        fieldnames = reader.fieldnames
    except csv.Error:  # a malformed first line (a stray carriage return in a field, say)
        fieldnames = None
    if fieldnames is None or [f.strip() for f in fieldnames] != CSV_COLUMNS:
        raise ExamError(_("The first line must be: %(columns)s") % {"columns": ",".join(CSV_COLUMNS)})
    sites = {s.name: s for s in ExamSite.objects.filter(city=city)}
    created = []
    with transaction.atomic():
        for line, row in _csv_rows(reader):
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
                plan_validate(site, subject, classes, date, starts_at, ends_at, capacity)
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


def _csv_rows(reader):
    """The reader's rows with their line numbers; a line the csv module cannot read (a stray
    carriage return in an unquoted field, say) is the import's error, named by its line, and the
    atomic block around the loop drops the rows before it."""
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            yield line, row
    except csv.Error:
        raise ExamError(_("Line %(line)s: this is not a valid CSV line.") % {"line": line + 1}) from None


def plan_last_publish_day(plan: ExamPlan) -> datetime.date:
    """The last day a plan may be published: exam_publish_days_before working days before the
    exam (R-DL art 39's "十日" is a working-day period, art 110; docs/rules.md §0)."""
    return workdays.subtract_working_days(plan.date, citysettings.get(plan.city, "exam_publish_days_before"))


def plan_seed_revealed(plan: ExamPlan, today=None) -> bool:
    """The seed is public once no request can be made any more: from the closing day on."""
    if plan.status in (ExamPlan.Status.ALLOCATED, ExamPlan.Status.DONE, ExamPlan.Status.CANCELLED):
        return True
    today = today or local_today()
    return plan.status == ExamPlan.Status.PUBLISHED and plan.closes_on is not None and plan.closes_on <= today


def plan_publish(plan: ExamPlan, *, now=None) -> ExamPlan:
    """Publish a draft plan at least N working days (exam_publish_days_before) before the exam.

    Steps: check the lead time; fix the closing day; draw a secret seed and publish its SHA-256
    commitment (the seed is revealed when the window closes, docs/rules.md §3); move draft ->
    published with a conditional UPDATE; announce it, with the commitment, on the city's site.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    lead = citysettings.get(plan.city, "exam_publish_days_before")
    last_day = plan_last_publish_day(plan)
    if today > last_day:
        raise ExamError(
            _(
                "A plan must be published at least %(days)s working days before the exam: the exam on %(date)s could be published until %(last)s."
            )
            % {"days": lead, "date": plan.date, "last": last_day}
        )
    closes_on = plan_closes_on(plan)
    if closes_on <= today:
        # Possible around long holidays: the window would close before it opened.
        raise ExamError(
            _(
                "The booking window of this plan would close on %(date)s, before it could open: choose a later exam date."
            )
            % {"date": closes_on}
        )
    seed = secrets.token_hex(32)
    with transaction.atomic():
        changed = ExamPlan.objects.filter(pk=plan.pk, status=ExamPlan.Status.DRAFT).update(
            status=ExamPlan.Status.PUBLISHED,
            published_at=now,
            closes_on=closes_on,
            seed=seed,
            seed_commitment=rules.seed_commitment(seed),
        )
        if not changed:
            raise ExamError(_("Only a draft plan can be published."))
        plan.refresh_from_db()
        audit.record(plan, _("published"), reload=False)
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
                "commitment": plan.seed_commitment,
            },
            dedupe_key=f"exams.plan_published.{plan.pk}",
        )
    return plan


def plan_cancel(plan: ExamPlan, *, actor=None, now=None) -> int:
    """The office cancels a published or allocated plan before the exam (weather, a site closed).

    Steps, in one transaction: published/allocated -> cancelled (conditional UPDATE); every live
    request and booking -> cancelled by the office, NOT a self-cancellation (the ranking is
    untouched); each paid fee is refunded in full after commit and each open payment closed;
    every candidate is told. Returns the number of requests cancelled.
    """
    now = now or timezone.now()
    if plan.date < timezone.localdate(now):
        raise ExamError(_("A plan whose exam day has passed cannot be cancelled."))
    with transaction.atomic():
        changed = ExamPlan.objects.filter(
            pk=plan.pk, status__in=[ExamPlan.Status.PUBLISHED, ExamPlan.Status.ALLOCATED]
        ).update(status=ExamPlan.Status.CANCELLED)
        if not changed:
            raise ExamError(_("Only a published or allocated plan can be cancelled."))
        plan.refresh_from_db()
        audit.record(plan, _("cancelled by the office"), actor, reload=False)
        live = list(
            ExamRequest.objects.select_for_update()
            .filter(plan=plan, status__in=LIVE_STATUSES)
            .select_related("plan__site", "plan__city")
        )
        for req in live:
            ExamRequest.objects.filter(pk=req.pk).update(status=ExamRequest.Status.OFFICE_CANCELLED, decided_at=now)
            req.refresh_from_db()
            audit.record(req, _("cancelled by the office"), actor, reload=False)
            if not fee_refund(req, _("Exam session cancelled by the office")):
                fee_close_open(req)
            notices.notify(
                "exams.plan_cancelled",
                id_number=req.id_number,
                city=plan.city,
                context=plan_context(plan) | {"number": req.number},
                dedupe_key=f"exams.plan_cancelled.{req.pk}",
            )
    return len(live)
