"""Candidate pages and the public pages. Thin: every decision is in services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exams import permit as permit_pdf_builder
from exams import rules, selectors, services
from exams.models import ExamPlan, ExamRequest
from portal import antibot
from portal.ratelimits import rush_limit


def _city_or_404(request):
    if request.city is None:
        raise Http404(_("Choose a city site first."))
    return request.city


def plans(request):
    """Open plans with, for a logged-in candidate, why each is or is not open to them; their requests."""
    city = _city_or_404(request)
    today = timezone.localdate()
    open_plans = list(
        ExamPlan.objects.filter(city=city, status=ExamPlan.Status.PUBLISHED, closes_on__gt=today)
        .select_related("site")
        .order_by("date", "starts_at")
    )
    record, mine, rows = None, [], [(plan, None) for plan in open_plans]
    if request.user.is_authenticated:
        record = services.record_for(city, request.user.id_number)
        if record is not None:
            open_plans = [p for p in open_plans if record.licence_class in p.licence_classes]
            state = services.candidate_state(record)
            rows = [(p, services.refusals(record, p, today=today, state=state)) for p in open_plans]
        else:
            rows = [(p, services.refusals(None, p, today=today)) for p in open_plans]
        for req in selectors.bookings_of(request.user.id_number).filter(city=city)[:20]:
            live_rank = services.current_rank(req) if req.status == ExamRequest.Status.REQUESTED else req.rank
            mine.append((req, live_rank))
    fees = {code: services.exam_fee(city, code) for code in ("1", "2", "3", "4")}
    rows = [(plan, reasons, fees[plan.subject]) for plan, reasons in rows]
    return render(request, "exams/plans.html", {"rows": rows, "record": record, "mine": mine})


@login_required
@require_POST
@rush_limit("exams.request")
def request_plan(request, plan_id):
    city = _city_or_404(request)
    if not antibot.check(request):  # the proof of work in front of the rush (portal.antibot)
        messages.error(request, antibot.message())
        return redirect(f"{reverse('portal:human_check')}?next={reverse('exams:plans')}")
    try:
        req = services.request_seat_online(city=city, plan_id=plan_id, id_number=request.user.id_number)
    except ExamPlan.DoesNotExist:
        raise Http404(_("No such exam plan in this city.")) from None
    except services.ExamError as exc:
        for reason in exc.reasons:
            messages.error(request, reason)
    else:
        messages.success(
            request,
            _("Request %(number)s received: it is being processed until the window closes.") % {"number": req.number},
        )
    return redirect("exams:plans")


@login_required
@require_POST
@rush_limit("exams.request")
def withdraw(request, request_id):
    req = get_object_or_404(ExamRequest, pk=request_id, city=_city_or_404(request), id_number=request.user.id_number)
    try:
        services.withdraw(req, id_number=request.user.id_number)
    except services.ExamError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Request %(number)s withdrawn.") % {"number": req.number})
    return redirect("exams:plans")


@login_required
def offer(request, request_id):
    req = get_object_or_404(
        ExamRequest.objects.select_related("plan__site"),
        pk=request_id,
        city=_city_or_404(request),
        id_number=request.user.id_number,
    )
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            services.respond_to_offer(req, id_number=request.user.id_number, accept=accept)
        except services.ExamError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Seat accepted.") if accept else _("Offer declined."))
            return redirect("exams:plans")
    return render(request, "exams/offer.html", {"req": req, "now": timezone.now()})


def _permit_record(request):
    record = services.record_for(_city_or_404(request), request.user.id_number)
    if record is None or not record.permit_issued_on:
        raise Http404(_("No learner permit has been issued to you in this city."))
    return record


@login_required
def permit(request):
    return render(request, "exams/permit.html", {"record": _permit_record(request)})


@login_required
def permit_pdf(request):
    record = _permit_record(request)
    response = HttpResponse(permit_pdf_builder.render(record), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="learner-permit-{record.permit_number}.pdf"'
    return response


def public(request):
    """Per city: each plan's seats, requests, allocated seats and, after the exam, passes (R-DL art 52)."""
    city = _city_or_404(request)
    return render(request, "exams/public.html", {"plans": selectors.public_plans(city)})


def draw(request, plan_id):
    """The plan page with its published seed and, once drawn, the ranked list anyone can re-run."""
    plan = get_object_or_404(
        ExamPlan.objects.select_related("site"),
        pk=plan_id,
        city=_city_or_404(request),
        status__in=selectors.PUBLIC_STATUSES,
    )
    entries = list(
        plan.requests.exclude(status__in=[ExamRequest.Status.WITHDRAWN]).select_related("record").order_by("rank", "id")
    )
    drawn = plan.status != ExamPlan.Status.PUBLISHED
    if not drawn:
        entries = rules.rank([e for e in entries if e.status == ExamRequest.Status.REQUESTED], plan.seed)
    rows = [
        {
            "position": e.rank if drawn else i,
            "number": e.number,
            "name": _mask_name(e.record.name),
            "priority": e.priority,
            "key_time": timezone.localtime(e.key_time).isoformat(),
            "hash": e.draw_hash,
            "status": e.status,
            "status_label": str(e.get_status_display()),
        }
        for i, e in enumerate(entries, start=1)
    ]
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "plan": plan.pk,
                "date": plan.date.isoformat(),
                "session": plan.session,
                "capacity": plan.capacity,
                "seed": plan.seed,
                "drawn": drawn,
                "order": "priority first, then key_time ascending, then sha256(seed + ':' + number) ascending",
                "requests": rows,
            },
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "exams/draw.html", {"plan": plan, "rows": rows, "drawn": drawn})


def _mask_name(name: str) -> str:
    """张三丰 -> 张**: enough to recognise oneself, not to identify anyone."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""
