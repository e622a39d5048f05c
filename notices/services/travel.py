"""Travel information (出行信息, docs/rules.md §6.3): clerks publish traffic controls, road works
and event closures; citizens subscribe to roads or districts and are told when a notice on
theirs is published or changed (web inbox, and SMS/push as their preferences allow)."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import own_kinds as k
from notices.models import TravelAdvisory, TravelSubscription
from notices.services.delivery import notify
from portal import identity

MAX_SUBSCRIPTIONS = 20
# What a subscriber hears about: a change of any of these (not a typo fix in the details).
NOTIFIED_FIELDS = ("kind", "district", "road", "section", "starts_at", "ends_at", "detour", "published")


class TravelError(Exception):
    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message, self.field = str(message), field


def place_key(text: str) -> str:
    """A road or district as stored and matched: NFKC (full-width letters and digits folded),
    spaces and control characters removed, Latin letters upper-cased ("G２５ 长深高速" and "g25长深高速" are one road)."""
    return "".join(ch for ch in identity.nfkc(text or "") if ch.isprintable() and not ch.isspace()).upper()


def _context(advisory: TravelAdvisory) -> dict:
    local = timezone.localtime
    return {
        "road": advisory.road,
        "district": advisory.district,
        "section": advisory.section,
        "starts": local(advisory.starts_at).strftime("%Y-%m-%d %H:%M"),
        "ends": local(advisory.ends_at).strftime("%Y-%m-%d %H:%M"),
        "detour": advisory.detour or "-",
        "advisory": advisory.pk,
    }


def advisory_save(advisory: TravelAdvisory, *, by, changed_fields=None) -> int:
    """Save a clerk's notice; if it is published and new, or a field subscribers care about
    changed, raise its revision and notify every subscriber of its road or district once.
    Returns how many were notified. The end must be after the start (also a constraint)."""
    advisory.road, advisory.district = place_key(advisory.road), place_key(advisory.district)
    if not advisory.road or not advisory.district:
        raise TravelError(_("Give the road and the district or area."))
    if advisory.starts_at and advisory.ends_at and advisory.ends_at <= advisory.starts_at:
        raise TravelError(_("The end must be after the start."), field="ends_at")
    is_new = advisory.pk is None
    relevant = is_new or changed_fields is None or bool(set(changed_fields) & set(NOTIFIED_FIELDS))
    with transaction.atomic():
        if advisory.published and relevant:
            advisory.revision += 1
        advisory.updated_at = timezone.now()
        advisory._history_user = by
        advisory.save()
        if not advisory.published or not relevant or advisory.ends_at <= timezone.now():
            return 0
        return _notify_subscribers(advisory, first=advisory.revision == 1)


def _notify_subscribers(advisory: TravelAdvisory, *, first: bool) -> int:
    subscribers = (
        TravelSubscription.objects.filter(city_id=advisory.city_id)
        .filter(Q(road=advisory.road) | Q(district=advisory.district))
        .select_related("user")
        .order_by("user_id")
    )
    kind = k.TRAVEL_PUBLISHED if first else k.TRAVEL_CHANGED
    context, seen = _context(advisory), set()
    for sub in subscribers:
        if sub.user_id in seen or not sub.user.is_active:
            continue
        seen.add(sub.user_id)
        notify(
            kind,
            id_number=sub.user.id_number,
            city=advisory.city,
            context=context,
            dedupe_key=f"travel:{advisory.pk}:{advisory.revision}:{sub.user_id}",
        )
    return len(seen)


def subscription_add(*, user, city, road: str = "", district: str = "") -> TravelSubscription:
    road, district = place_key(road), place_key(district)
    if bool(road) == bool(district):
        raise TravelError(_("Give either a road or a district, not both."))
    if len(road) > 64 or len(district) > 32:
        raise TravelError(_("That name is too long."))
    if TravelSubscription.objects.filter(user=user).count() >= MAX_SUBSCRIPTIONS:
        raise TravelError(_("You may follow at most %(n)d roads and districts.") % {"n": MAX_SUBSCRIPTIONS})
    try:
        with transaction.atomic():
            sub = TravelSubscription(user=user, city=city, road=road, district=district)
            sub._history_user = user
            sub.save()
    except IntegrityError:
        raise TravelError(_("You already follow this.")) from None
    return sub


def subscription_remove(*, user, pk: int) -> bool:
    sub = TravelSubscription.objects.filter(user=user, pk=pk).first()
    if sub is None:
        return False
    sub._history_user = user
    sub.delete()
    return True
