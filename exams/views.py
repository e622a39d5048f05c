"""Candidate pages and the public pages. Thin: every decision is in exams.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exams import permit as permit_pdf_builder
from exams import selectors, services
from exams.models import ExamPlan, ExamRequest
from portal import antibot, identity
from portal.decorators import city_required, registry_verified_required
from portal.ratelimits import rush_limit
from portal.replica import replica_reads


@city_required
def plans(request):
    """Open plans with, for a logged-in candidate, why each is or is not open to them; their requests."""
    city = request.city
    today = timezone.localdate()
    open_plans = list(
        ExamPlan.objects.filter(city=city, status=ExamPlan.Status.PUBLISHED, closes_on__gt=today)
        .select_related("site")
        .order_by("date", "starts_at")
    )
    record, mine, rows = None, [], [(plan, None) for plan in open_plans]
    if request.user.is_authenticated:
        record = services.record_find(city, request.user.id_number)
        if record is not None:
            open_plans = [p for p in open_plans if record.licence_class in p.licence_classes]
            state = services.candidate_state(record)
            rows = [(p, services.request_refusals(record, p, today=today, state=state)) for p in open_plans]
        # Without a learner record the page says once what is needed (the template), not on every row.
        for req in selectors.bookings_of(request.user.id_number).filter(city=city)[:20]:
            live_rank = services.request_rank(req) if req.status == ExamRequest.Status.REQUESTED else req.rank
            mine.append((req, live_rank))
    fees = {code: services.fee_amount(city, code) for code in ("1", "2", "3", "4")}
    rows = [(plan, reasons, fees[plan.subject]) for plan, reasons in rows]
    return render(request, "exams/plans.html", {"rows": rows, "record": record, "mine": mine, "now": timezone.now()})


@city_required
@login_required
@registry_verified_required
@require_POST
@rush_limit("exams.request")
def request_plan(request, plan_id):
    city = request.city
    if not antibot.check(request):  # the proof of work in front of the rush (portal.antibot)
        messages.error(request, antibot.message())
        return redirect(f"{reverse('portal:human_check')}?next={reverse('exams:plans')}")
    try:
        req = services.request_create_online(city=city, plan_id=plan_id, user=request.user)
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


def _own_request(request, request_id):
    return get_object_or_404(
        ExamRequest.objects.select_related("plan__site"),
        pk=request_id,
        city=request.city,
        id_number_hash=identity.id_key(request.user.id_number),
    )


@city_required
@login_required
@registry_verified_required
@rush_limit("exams.request")
def withdraw(request, request_id):
    """GET: what withdrawing means, and a confirmation button; POST: withdraw."""
    req = _own_request(request, request_id)
    if request.method == "POST":
        try:
            services.request_withdraw(req, id_number=request.user.id_number)
        except services.ExamError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Request %(number)s withdrawn.") % {"number": req.number})
        return redirect("exams:plans")
    return render(request, "exams/withdraw.html", {"req": req})


@city_required
@login_required
@registry_verified_required
@require_POST
def pay(request, request_id):
    """Pay the fee of an allocated seat at the payment service's cashier."""
    req = _own_request(request, request_id)
    try:
        payment = services.fee_pay_start(req, payer=request.user, request=request)
    except services.ExamError as exc:
        messages.error(request, exc.message)
        return redirect("exams:plans")
    return redirect(payment.cashier_url)


@city_required
@login_required
def offer(request, request_id):
    req = get_object_or_404(
        ExamRequest.objects.select_related("plan__site"),
        pk=request_id,
        city=request.city,
        id_number_hash=identity.id_key(request.user.id_number),
    )
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            services.offer_respond(req, id_number=request.user.id_number, accept=accept)
        except services.ExamError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Seat accepted.") if accept else _("Offer declined."))
            return redirect("exams:plans")
    return render(request, "exams/offer.html", {"req": req, "now": timezone.now()})


@city_required
@login_required
def permit(request):
    """The learner permit; without one, a page that says what is needed and where to get it."""
    record = services.record_find(request.city, request.user.id_number)
    if record is None or not record.permit_issued_on:
        return render(request, "exams/no_permit.html", {"record": record})
    return render(request, "exams/permit.html", {"record": record})


@city_required
@login_required
def permit_pdf(request):
    record = services.record_find(request.city, request.user.id_number)
    if record is None or not record.permit_issued_on:
        return redirect("exams:permit")
    response = HttpResponse(permit_pdf_builder.render(record), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="learner-permit-{record.permit_number}.pdf"'
    return response


@city_required
@replica_reads
def public(request):
    """Per city: each plan's seats, requests, allocated seats and, after the exam, passes (R-DL art 52)."""
    city = request.city
    page = selectors.public_plans_page(city, request.GET.get("page"))
    return render(request, "exams/public.html", {"plans": page.object_list, "page": page})


@city_required
@replica_reads
def draw(request, plan_id):
    """The plan page with its seed commitment and, once the window closes, the seed, the ranked
    list and the check anyone can repeat (docs/rules.md §3)."""
    plan = get_object_or_404(
        ExamPlan.objects.select_related("site"),
        pk=plan_id,
        city=request.city,
        status__in=selectors.PUBLIC_STATUSES,
    )
    draw = selectors.plan_draw(plan)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "plan": plan.pk,
                "date": plan.date.isoformat(),
                "session": plan.session,
                "capacity": plan.capacity,
                "published_at": plan.published_at.isoformat() if plan.published_at else None,
                "closes_on": plan.closes_on.isoformat() if plan.closes_on else None,
                "commitment": plan.seed_commitment,
                "seed": draw["seed"],
                "seed_revealed": draw["seed"] is not None,
                "drawn": draw["drawn"],
                "order": "priority first, then key_time ascending, then sha256(seed + ':' + number) ascending",
                "check": "sha256(seed) == commitment; hash == sha256(seed + ':' + number); order as above",
                "verification": draw["verification"],
                "requests": [{k: v for k, v in row.items() if k != "key_time_display"} for row in draw["rows"]],
            },
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "exams/draw.html", {"plan": plan, **draw})
