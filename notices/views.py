from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notices import catalogue, ics, push, selectors, services
from notices.forms import PreferencesForm, QuestionForm, ReceiptForm
from notices.models import CalendarFeed, Preference, Question
from portal import hooks
from portal.decorators import city_required, registry_verified_required
from portal.replica import replica_reads

PAGE_SIZE = 20
RECEIPT_MAX_AGE_SECONDS = 24 * 3600


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- Inbox ----------------------------------------------------------------------------------
@login_required
@registry_verified_required
def inbox(request):
    page = _page(request, selectors.inbox_for(request.user))
    return render(request, "notices/inbox.html", {"page": page})


@login_required
@registry_verified_required
def notice_detail(request, pk):
    notice = get_object_or_404(selectors.inbox_for(request.user), pk=pk)
    services.mark_read(notice)
    action = hooks.notice_link(notice.kind, notice.context)
    return render(request, "notices/detail.html", {"notice": notice, "action": action})


@login_required
def preferences(request):
    every = sorted(catalogue.all_kinds().values(), key=lambda k: k.code)
    if request.method == "POST":
        choices = {k.code: (f"sms:{k.code}" in request.POST, f"push:{k.code}" in request.POST) for k in every}
        services.preferences_save(user=request.user, choices=choices)
        messages.success(request, _("Your notice settings were saved."))
        return redirect("notices:preferences")
    stored = {p.kind: p for p in Preference.objects.filter(user=request.user)}
    rows = []
    for kind in every:
        pref = stored.get(kind.code)
        rows.append(
            {
                "kind": kind,
                "label": catalogue.label(kind),
                "sms": kind.sms and (kind.mandatory or pref is None or pref.sms),
                "push": kind.push and (kind.mandatory or pref is None or pref.push),
            }
        )
    token = services.calendar_feed_token(request.user)
    feed_url = request.build_absolute_uri(f"/notices/calendar/{token}.ics")
    form = PreferencesForm(rows=rows)
    return render(request, "notices/preferences.html", {"rows": form.row_fields(rows), "feed_url": feed_url})


@login_required
@require_POST
def calendar_regenerate(request):
    services.calendar_feed_regenerate(request.user)
    messages.success(request, _("A new calendar link was made; the old one no longer works."))
    return redirect("notices:preferences")


def calendar_feed(request, token):
    feed = CalendarFeed.objects.filter(token=token).select_related("user").first()
    if feed is None or not feed.user.is_active:
        raise Http404(_("This calendar link is not valid (it may have been replaced)."))
    body = ics.calendar(
        hooks.deadlines_for(feed.user), name=_("My traffic deadlines"), domain=request.get_host().split(":")[0]
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Public information ---------------------------------------------------------------------
@city_required
@replica_reads
def announcements(request):
    city = request.city
    return render(request, "notices/announcements.html", {"page": _page(request, selectors.announcements_for(city))})


@city_required
@replica_reads
def announcement_detail(request, pk):
    city = request.city
    item = get_object_or_404(selectors.announcements_for(city), pk=pk)
    return render(request, "notices/public_item.html", {"item": item, "active": "announcements"})


@city_required
@replica_reads
def articles(request):
    city = request.city
    return render(request, "notices/articles.html", {"page": _page(request, selectors.articles_for(city))})


@city_required
def article_detail(request, pk):
    city = request.city
    item = get_object_or_404(selectors.articles_for(city), pk=pk)
    return render(request, "notices/public_item.html", {"item": item, "active": "articles"})


@city_required
def questions(request):
    city = request.city
    mine = []
    if request.user.is_authenticated:
        mine = Question.objects.filter(city=city, asker=request.user)[:20]
    page = _page(request, selectors.published_questions_for(city))
    return render(request, "notices/questions.html", {"page": page, "mine": mine})


@city_required
def question_detail(request, pk):
    city = request.city
    question = get_object_or_404(Question, pk=pk, city=city)
    is_mine = request.user.is_authenticated and question.asker_id == request.user.pk
    if not (is_mine or (question.published and question.answered_at)):
        raise Http404(_("No such question."))
    shown = question.body if is_mine else selectors.scrub_personal_data(question.public_body or question.body)
    return render(request, "notices/question_detail.html", {"question": question, "shown": shown, "is_mine": is_mine})


@city_required
@login_required
def question_ask(request):
    city = request.city
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.question_ask(user=request.user, city=city, **form.cleaned_data)
        messages.success(request, _("Your question was sent. You will get a notice when it is answered."))
        return redirect("notices:questions")
    return render(request, "notices/question_ask.html", {"form": form})


@city_required
@replica_reads
def statistics(request):
    city = request.city
    return render(request, "notices/statistics.html", {"sections": hooks.stats_for(city)})


# --- Gateway receipts -----------------------------------------------------------------------
@csrf_exempt
@require_POST
def receipt(request, channel):
    """Signed delivery receipt from the push service or the SMS gateway (idempotent)."""
    if channel not in ("push", "sms"):
        raise Http404
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False, "error": "bad request"}, status=400)
    data = form.cleaned_data
    if not push.verify(channel, data["message_id"], data["status"], str(data["ts"]), data["sig"]):
        return JsonResponse({"ok": False, "error": "bad signature"}, status=403)
    if abs(timezone.now().timestamp() - data["ts"]) > RECEIPT_MAX_AGE_SECONDS:
        return JsonResponse({"ok": False, "error": "stale"}, status=403)
    applied = services.record_receipt(channel=channel, message_id=data["message_id"], status=data["status"])
    if applied is None:
        return JsonResponse({"ok": False, "error": "unknown message"}, status=404)
    return JsonResponse({"ok": True, "applied": applied})
