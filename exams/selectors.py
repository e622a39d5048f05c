"""Reads of the exams app: the public figures (R-DL art 52), deadlines, a candidate's bookings."""

import datetime

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exams import rules
from exams.models import ExamPlan, ExamRequest, ExamResult, InspectionBooking
from portal import identity
from portal.hooks import Deadline, StatsSection

PUBLIC_STATUSES = [
    ExamPlan.Status.PUBLISHED,
    ExamPlan.Status.ALLOCATED,
    ExamPlan.Status.DONE,
    ExamPlan.Status.CANCELLED,
]


def _public_listed(city, *, since=None, until=None):
    """The plans the public figures list (from 30 days back by default), in their order."""
    since = since or timezone.localdate() - datetime.timedelta(days=30)
    qs = ExamPlan.objects.filter(city=city, status__in=PUBLIC_STATUSES, date__gte=since)
    if until:
        qs = qs.filter(date__lte=until)
    return qs.order_by("date", "starts_at", "site__name")


def public_plans(city, *, since=None, until=None):
    """Published plans with capacity, requests, allocated seats and passes, for the public page."""
    seated = [ExamRequest.Status.ALLOCATED, ExamRequest.Status.COMPLETED]
    return (
        _public_listed(city, since=since, until=until)
        .select_related("site")
        .annotate(
            n_requests=Count("requests", filter=~Q(requests__status=ExamRequest.Status.WITHDRAWN)),
            n_allocated=Count("requests", filter=Q(requests__status__in=seated)),
            n_results=Count("requests__result"),
            n_passed=Count(
                "requests__result",
                filter=Q(requests__result__outcome__in=[ExamResult.Outcome.PASS, ExamResult.Outcome.RETAKE_PASS]),
            ),
        )
    )


PUBLIC_PAGE_SIZE = 50


def public_plans_page(city, number):
    """One page of public_plans (PUBLIC_PAGE_SIZE plans, in its order). The page's plans are
    chosen first and only they are counted: a city that drew 1,000 sessions in a month would
    otherwise aggregate their 100,000 requests and render every row on each view (over a second
    of CPU a view, measured on the bench's leftovers, docs/benchmarks.md)."""
    page = Paginator(_public_listed(city).values_list("pk", flat=True), PUBLIC_PAGE_SIZE).get_page(number)
    page.object_list = list(public_plans(city).filter(pk__in=list(page.object_list)))
    return page


def plan_draw(plan: ExamPlan, today=None) -> dict:
    """What the public draw page shows (docs/rules.md §3): the rows in draw order, the seed once
    the window has closed (None before), and the check anyone can repeat with the seed: that it
    hashes to the commitment published with the plan, that every request's hash is
    sha256("<seed>:<number>") and, once drawn, that the order is the one rules.rank computes."""
    today = today or timezone.localdate()
    entries = list(
        plan.requests.exclude(status=ExamRequest.Status.WITHDRAWN).select_related("record").order_by("rank", "id")
    )
    drawn = plan.status != ExamPlan.Status.PUBLISHED
    if not drawn:
        # The current order, from the secret seed: it shows positions, not the seed.
        entries = rules.rank([e for e in entries if e.status == ExamRequest.Status.REQUESTED], plan.seed)
    from exams.services.plans import plan_seed_revealed  # the one rule, also used by the admin

    seed = plan.seed if plan_seed_revealed(plan, today) else None
    rows = [
        {
            "position": e.rank if drawn else i,
            "number": e.number,
            "name": mask_name(e.record.name),
            "priority": e.priority,
            "key_time": timezone.localtime(e.key_time).isoformat(),
            "key_time_display": timezone.localtime(e.key_time).strftime("%Y-%m-%d %H:%M:%S"),
            "hash": e.draw_hash,
            "status": e.status,
            "status_label": str(e.get_status_display()),
        }
        for i, e in enumerate(entries, start=1)
    ]
    verification = {"seed_matches_commitment": None, "hashes_match": None, "order_matches": None}
    if seed is not None:
        verification["seed_matches_commitment"] = rules.seed_commitment(seed) == plan.seed_commitment
        verification["hashes_match"] = all(row["hash"] == rules.draw_hash(seed, row["number"]) for row in rows)
        if drawn:
            ranked = [row for row in rows if row["position"] is not None]
            rerun = rules.rank(
                [{**row, "key_time": e.key_time} for row, e in zip(rows, entries, strict=True) if e.rank is not None],
                seed,
            )
            verification["order_matches"] = [r["number"] for r in rerun] == [r["number"] for r in ranked]
    checked = [value for value in verification.values() if value is not None]
    verified = all(checked) if seed is not None else None
    return {"rows": rows, "drawn": drawn, "seed": seed, "verification": verification, "verified": verified}


def mask_name(name: str) -> str:
    """张三丰 -> 张**: enough to recognise oneself, not to identify anyone."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def stats_sections(city):
    rows = [
        [
            str(p.date),
            p.session,
            p.site.name,
            str(p.get_subject_display()),
            p.capacity,
            p.n_requests,
            p.n_allocated if p.status != ExamPlan.Status.PUBLISHED else "-",
            p.n_passed if p.status == ExamPlan.Status.DONE or p.n_results else "-",
        ]
        for p in public_plans(city)[:200]
    ]
    return [
        StatsSection(
            title=_("Driving exams: plans, requests, seats and passes"),
            columns=[
                _("Date"),
                _("Session"),
                _("Site"),
                _("Subject"),
                _("Seats"),
                _("Requests"),
                _("Allocated"),
                _("Passed"),
            ],
            rows=rows,
            note=_("Published under R-DL art 52. Seats are allocated by rank when the booking window closes."),
        )
    ]


def bookings_of(id_number: str):
    return (
        ExamRequest.objects.filter(id_number_hash=identity.id_key(id_number))
        .select_related("plan__site", "plan__city", "result")
        .order_by("-created_at")
    )


def deadlines(user):
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    today = timezone.localdate()
    for req in bookings_of(user.id_number).filter(
        status__in=[ExamRequest.Status.ALLOCATED, ExamRequest.Status.OFFERED], plan__date__gte=today
    ):
        if req.fee_owed and req.fee_due_at:
            items.append(
                Deadline(
                    when=req.fee_due_at,
                    title=_("Pay the exam fee"),
                    description=f"{req.plan.get_subject_display()} {req.plan.date} {req.plan.site.name}: {req.fee}",
                    url=reverse("exams:plans"),
                    uid=f"exams-fee-{req.pk}",
                )
            )
        if req.status == ExamRequest.Status.OFFERED:
            items.append(
                Deadline(
                    when=req.offer_expires_at,
                    title=_("Accept the freed exam seat"),
                    description=f"{req.plan.get_subject_display()} {req.plan.date} {req.plan.site.name}",
                    url=reverse("exams:offer", args=[req.pk]),
                    uid=f"exams-offer-{req.pk}",
                )
            )
        else:
            start = timezone.make_aware(datetime.datetime.combine(req.plan.date, req.plan.starts_at))
            items.append(
                Deadline(
                    when=start,
                    title=_("Driving exam: %(subject)s") % {"subject": req.plan.get_subject_display()},
                    description=f"{req.plan.site.name} {req.plan.site.address} {req.plan.session}",
                    url=reverse("exams:plans"),
                    uid=f"exams-booking-{req.pk}",
                )
            )
    return items


def school_section(unit, vehicles, licences):
    """A driving school's students (learner records it trains, docs/rules.md §1.2): their exam
    requests and results, newest first. Only for a school; only its own students."""
    from portal.hooks import UnitSection

    if not unit.is_school:
        return []
    requests = (
        ExamRequest.objects.filter(record__school=unit)
        .select_related("record", "plan__site", "result")
        .order_by("-plan__date", "-id")[:300]
    )
    rows = []
    for r in requests:
        result = getattr(r, "result", None)
        rows.append(
            [
                r.record.name,
                r.record.masked_id_number,
                r.record.licence_class,
                r.plan.get_subject_display(),
                r.plan.date.isoformat(),
                r.plan.site.name,
                r.get_status_display(),
                result.get_outcome_display() if result else "",
            ]
        )
    return [
        UnitSection(
            title=_("Students' exam requests and results"),
            columns=[
                _("Student"),
                _("ID number"),
                _("Class"),
                _("Subject"),
                _("Date"),
                _("Exam site"),
                _("Request"),
                _("Result"),
            ],
            rows=rows,
        )
    ]


def inspection_deadlines(user):
    """Calendar-feed entries: each active inspection booking at its slot's start (docs/rules.md §6.4)."""
    if not getattr(user, "is_authenticated", False):
        return []
    bookings = InspectionBooking.objects.filter(
        id_number_hash=identity.id_key(user.id_number),
        status=InspectionBooking.Status.BOOKED,
        slot__date__gte=timezone.localdate(),
    ).select_related("slot__station", "vehicle")
    return [
        Deadline(
            when=timezone.make_aware(datetime.datetime.combine(b.slot.date, b.slot.starts_at)),
            title=_("Vehicle inspection: %(plate)s") % {"plate": b.vehicle},
            description=f"{b.slot.session} {b.slot.station.name}, {b.slot.station.address} ({b.number})",
            url=reverse("inspection:booking", args=[b.pk]),
            uid=f"inspection-booking-{b.pk}",
        )
        for b in bookings
    ]
