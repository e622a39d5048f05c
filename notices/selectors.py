"""Reads: the inbox, the public pages, and what notices gives portal's hooks (the calendar
feed's registry deadlines, the statistics page's figures)."""

import datetime
import re

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from notices import inspection
from notices.models import Announcement, Article, Delivery, Notice, Question, TravelAdvisory, TravelSubscription
from portal import citysettings, hooks, identity, workdays
from portal.models import DrivingLicence, Vehicle


# By the account's look-up key (User.id_number_hash, kept equal to identity.id_key of its ID
# number on every save): the session's user comes from the cache without the ID number, which
# would cost a query and a decryption on every page that shows the header's unread count.
def inbox_for(user):
    return Notice.objects.filter(id_number_hash=user.id_number_hash).select_related("city")


def unread_count(user) -> int:
    # The account's stored key of its ID number: the logged-in user comes from the cache without
    # the ID number itself (portal.auth_backends), and reading it was a query on every page.
    return Notice.objects.filter(id_number_hash=user.id_number_hash, read_at__isnull=True).count()


def announcements_for(city):
    return Announcement.objects.filter(city=city, published=True, published_at__lte=timezone.now())


def articles_for(city):
    return Article.objects.filter(city=city, published=True, published_at__lte=timezone.now())


def published_questions_for(city):
    return Question.objects.filter(city=city, published=True, answered_at__isnull=False).order_by("-answered_at")


_ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")
_MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def scrub_personal_data(text: str) -> str:
    """Mask anything that looks like an ID or mobile number in text shown to the public,
    in case a citizen typed one into their question."""
    text = _ID_RE.sub(lambda m: identity.mask_id_number(m.group(0)), text or "")
    return _MOBILE_RE.sub(lambda m: identity.mask_mobile(m.group(0)), text)


def registry_deadlines(user):
    """Calendar-feed deadlines from the registry: inspection due per vehicle, licence expiry."""
    items = []
    for vehicle in Vehicle.objects.owned_by(user.id_number).exclude(status__in=["new", "deregistered"]):
        if vehicle.inspection_valid_until is None:
            continue
        claim = inspection.claims_mark_online(
            kind=vehicle.kind,
            is_commercial=vehicle.is_commercial,
            is_van=vehicle.is_van,
            seats=vehicle.seats,
            registered_on=vehicle.registered_on,
            at=vehicle.inspection_valid_until,
        )
        label = vehicle.plate_number or vehicle.vin
        items.append(
            hooks.Deadline(
                when=vehicle.inspection_valid_until,
                title=_("Inspection of %(plate)s due") % {"plate": label},
                description=_("Claim the inspection mark online") if claim else _("On-site inspection"),
                uid=f"inspection-{vehicle.pk}-{vehicle.inspection_valid_until:%Y%m%d}",
            )
        )
    for licence in DrivingLicence.objects.held_by(user.id_number).exclude(status="cancelled"):
        if licence.valid_until is None:
            continue
        items.append(
            hooks.Deadline(
                when=licence.valid_until,
                title=_("Driving licence %(cls)s expires") % {"cls": licence.licence_class},
                description=_("Renew within 90 days before this date"),
                uid=f"licence-{licence.pk}-{licence.valid_until:%Y%m%d}",
            )
        )
    return items


def question_stats(city, *, now=None) -> dict:
    """Questions asked and answered in the last 365 days, and how many within the city's
    answer time (working days, [LOCAL] notice_answer_working_days)."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=365)
    limit = citysettings.get(city, "notice_answer_working_days")
    asked = Question.objects.filter(city=city, asked_at__gte=since)
    answered = list(asked.filter(answered_at__isnull=False).values_list("asked_at", "answered_at"))
    on_time = sum(
        1
        for asked_at, answered_at in answered
        if timezone.localdate(answered_at) <= workdays.add_working_days(timezone.localdate(asked_at), limit)
    )
    return {"asked": asked.count(), "answered": len(answered), "on_time": on_time, "limit": limit}


STATS_CACHE_SECONDS = 600


def public_stats(city):
    """Notices' own sections of the public statistics page (cached: counting over the notice
    and delivery tables is not something every page view should do)."""
    return cache.get_or_set(
        f"notices:stats:{city.pk}:{get_language()}", lambda: _public_stats(city), STATS_CACHE_SECONDS
    )


def _public_stats(city):
    qa = question_stats(city)
    since = timezone.now() - datetime.timedelta(days=30)
    sent = Delivery.objects.filter(notice__city=city, sent_at__gte=since).aggregate(
        sms=Count("id", filter=Q(channel="sms")), push=Count("id", filter=Q(channel="push"))
    )
    return [
        hooks.StatsSection(
            title=_("Questions and answers (last 12 months)"),
            columns=[_("Asked"), _("Answered"), _("Answered on time")],
            rows=[[qa["asked"], qa["answered"], qa["on_time"]]],
            note=_("On time: answered within %(days)s working days.") % {"days": qa["limit"]},
        ),
        hooks.StatsSection(
            title=_("Reminders sent (last 30 days)"),
            columns=[_("Notices"), _("SMS"), _("App push")],
            rows=[[Notice.objects.filter(city=city, created_at__gte=since).count(), sent["sms"], sent["push"]]],
        ),
    ]


# --- Travel information (docs/rules.md §6.3) ---------------------------------------------------
def travel_current(city, now=None, district: str = ""):
    """A city's published travel notices in force or coming: those whose end has not passed."""
    now = now or timezone.now()
    qs = TravelAdvisory.objects.filter(city=city, published=True, ends_at__gt=now)
    if district:
        qs = qs.filter(district=district)
    return qs.order_by("starts_at", "id")


def travel_districts(city, now=None) -> list[str]:
    return sorted(set(travel_current(city, now).values_list("district", flat=True)))


def travel_subscriptions_of(user, city=None):
    qs = TravelSubscription.objects.filter(user=user).select_related("city")
    return qs.filter(city=city) if city is not None else qs


def travel_for_subscriber(user, now=None):
    """The travel notices in force or coming on the roads and districts a citizen follows."""
    now = now or timezone.now()
    subs = list(TravelSubscription.objects.filter(user=user).values_list("city_id", "road", "district"))
    if not subs:
        return TravelAdvisory.objects.none()
    match = Q()
    for city_id, road, district in subs:
        match |= Q(city_id=city_id, road=road) if road else Q(city_id=city_id, district=district)
    return TravelAdvisory.objects.filter(match, published=True, ends_at__gt=now).order_by("starts_at", "id")


def travel_deadlines(user):
    """Calendar-feed entries (portal.hooks) for the travel notices a citizen follows: each from
    its start to its end."""
    return [
        hooks.Deadline(
            when=a.starts_at,
            ends=a.ends_at,
            title=f"{a.get_kind_display()}: {a.road} ({a.district})",
            description=" ".join(
                x for x in (a.section, a.description, _("Detour: %s") % a.detour if a.detour else "") if x
            ),
            uid=f"travel-{a.pk}-{a.revision}",
        )
        for a in travel_for_subscriber(user)[:200]
    ]
