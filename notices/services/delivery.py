"""Notices in, SMS and app push out: notify, announce, planning and sending deliveries, receipts.

Flow: notify() (or a sweep) writes Notice rows and, on commit, kicks a worker unless a kick is
already queued. The kicked task (and the minutely sweep) runs deliver_all(): dispatch_new() plans
one Delivery per channel the kind and the recipient's preferences allow, in one set-based
statement, for every notice not yet planned; deliver_due() claims due deliveries with SKIP LOCKED,
sends them outside any lock, and records the outcome; failures retry with backoff. Gateways
report the final outcome by a signed receipt (record_receipt).
"""

import datetime
import logging
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from notices import catalogue, push, sql
from notices.models import Announcement, Delivery, Notice, Preference
from portal import identity, sms

log = logging.getLogger(__name__)

# Quiet hours for non-urgent SMS: 21:00-08:00 Beijing time (the issue; citizens' night rest).
QUIET_TZ = ZoneInfo("Asia/Shanghai")
QUIET_START = datetime.time(21, 0)
QUIET_END = datetime.time(8, 0)
# Retries after a failed send: 1, 5, 30 minutes, 2 hours; the 5th failure is final.
BACKOFF = [datetime.timedelta(minutes=m) for m in (1, 5, 30, 120)]
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed delivery whose worker died is retried after this lease (at-least-once sending; the
# SMS reference makes the gateway send it once, docs/operations.md "Faults").
CLAIM_LEASE = datetime.timedelta(seconds=settings.NOTICES_CLAIM_LEASE_SECONDS)
# Held in the default cache from the moment a delivery kick is queued until that task starts, so
# a rush publishes one Celery message per worker run instead of one per notice. The expiry only
# matters when a kick is lost or stuck behind long tasks: after it, the next notice kicks again.
KICK_KEY = "notices:delivery-kick"
KICK_TTL = 10  # seconds
# A kicked run starts this long after the notice that kicked it, so a burst of notices (a plate
# rush confirms dozens a second) goes out in one run rather than a dozen: each run re-plans and
# re-claims, and its work would otherwise fall on the cores in the middle of the burst. A
# couple of seconds on an SMS or a push nobody waits for; sign-in codes do not come this way.
KICK_DELAY = 2  # seconds


def sms_release_time(now: datetime.datetime) -> datetime.datetime:
    """`now` outside quiet hours; otherwise the next 08:00 in Beijing."""
    local = now.astimezone(QUIET_TZ)
    if QUIET_END <= local.time() < QUIET_START:
        return now
    day = local.date() if local.time() < QUIET_END else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, QUIET_END, tzinfo=QUIET_TZ)


def notify(kind: str, *, id_number: str, city=None, context: dict | None = None, dedupe_key: str | None = None):
    """Create a notice for the person with this ID number; returns it, or None if the
    dedupe_key was already used (so repeated sweeps and retried tasks notify once).

    Steps: write the Notice (inbox); after commit, kick a worker to plan and send the SMS/push
    deliveries of every new notice, unless a kick is already queued, whose run will see this
    notice too (if that message is lost, the next notice after KICK_TTL kicks again, and
    deliver_pending picks the notice up within a minute). Context values must be
    JSON-serialisable (dates as ISO strings), no ID numbers or phone numbers.
    """
    catalogue.get(kind)  # fail loudly on an unregistered kind
    notice = sql.notice_insert(
        id_number=identity.normalize_id_number(id_number),
        city_id=getattr(city, "pk", city),
        kind=kind,
        context=context or {},
        dedupe_key=dedupe_key,
        created_at=timezone.now(),
    )
    if notice is None:
        return None
    if hasattr(city, "pk"):
        notice.city = city  # the caller's, not read again
    transaction.on_commit(_kick_delivery)
    return notice


def notify_within(kind: str, *, id_number: str, city=None, context=None, dedupe_key=None) -> dict:
    """notify() for a caller whose write is one hand-written statement: the parameters of
    notice_insert_sql's INSERT, which that statement runs as one of its CTEs. The notice is then
    written if and only if the caller's row is, in the same round trip. The caller calls
    `notified()` after the statement, which kicks delivery as notify() does. Same rules for the
    context as notify()."""
    catalogue.get(kind)  # fail loudly on an unregistered kind
    return sql.notice_params(
        id_number=identity.normalize_id_number(id_number),
        city_id=getattr(city, "pk", city),
        kind=kind,
        context=context or {},
        dedupe_key=dedupe_key,
        created_at=timezone.now(),
    )


def notice_insert_sql(source: str) -> str:
    """The INSERT of notify_within's notice, one per row of `source` (a CTE of the caller's
    statement): notices.sql.notice_insert_from."""
    return sql.notice_insert_from(source)


def notified() -> None:
    """After a statement made with notify_within wrote its notice: kick delivery on commit."""
    transaction.on_commit(_kick_delivery)


def _kick_delivery() -> None:
    from notices import tasks

    try:
        # SET NX: of all notices committed while a kick waits in the queue, only the first pays
        # for a Celery publish. A failed publish leaves the key held on purpose: during a broker
        # outage one request per KICK_TTL waits for the broker's timeout, not every request.
        if cache.add(KICK_KEY, 1, timeout=KICK_TTL):
            tasks.deliver_new.apply_async(countdown=KICK_DELAY)
    except Exception:  # Redis or broker down: the minutely deliver_pending sweep sends it instead
        log.warning("could not kick notice delivery", exc_info=True)


def kick_taken() -> None:
    """Called by the kicked task before it reads anything: later notices must kick again.

    Why first: a notice committed before the key is gone is visible to the dispatch that
    follows; a notice committed after it finds no key and queues a new kick. So no notice waits
    for the minutely sweep unless a message is lost.
    """
    cache.delete(KICK_KEY)


def announce(kind: str, *, city, context: dict | None = None, dedupe_key: str | None = None, published_at=None):
    """Post a public announcement (number-block release, exam plan) on a city's site.

    `kind` is a registered notice kind whose title/body render the announcement; the context
    must hold no personal data. Idempotent by dedupe_key: returns the Announcement, or None if
    that key was already announced.
    """
    catalogue.get(kind)
    try:
        with transaction.atomic():
            return Announcement.objects.create(
                city=city,
                kind=kind,
                context=context or {},
                dedupe_key=dedupe_key,
                published_at=published_at or timezone.now(),
            )
    except IntegrityError:
        if dedupe_key and Announcement.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def _kind_lists():
    every = catalogue.all_kinds().values()
    return {
        "sms_kinds": [k.code for k in every if k.sms],
        "push_kinds": [k.code for k in every if k.push],
        "mandatory": [k.code for k in every if k.mandatory],
        "urgent": [k.code for k in every if k.urgent],
    }


def dispatch_new(*, now=None, limit: int = 5000) -> tuple[int, int]:
    """Plan SMS and push deliveries for notices not yet dispatched, one batch.

    Steps (one statement, so a notice is planned exactly once even with several workers):
    claim up to `limit` undispatched notices (SKIP LOCKED), mark them dispatched, and insert a
    pending Delivery per channel where the kind has that channel, the recipient has an active
    account (and a mobile, for SMS), and their preference allows it or the kind is mandatory.
    Non-urgent SMS are due at the end of quiet hours. Returns (notices, deliveries).
    """
    now = now or timezone.now()
    params = {"now": now, "sms_at": sms_release_time(now), "limit": limit, **_kind_lists()}
    with transaction.atomic():
        return sql.notices_dispatch(params)


def _claim(now, limit) -> list[int]:
    """Claim up to `limit` due pending deliveries for this worker: attempts + 1, next attempt
    pushed out by CLAIM_LEASE. In one short transaction the rows are locked with SKIP LOCKED,
    so a parallel worker passes over them instead of waiting, and once committed they are no
    longer due, so no other worker takes them until the lease runs out."""
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        Delivery.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE)
    return ids


def sms_text(notice: Notice) -> str:
    """The SMS for a notice: 【city traffic police】title: body, in the portal's default language."""
    with translation.override("zh-hans"):
        sender = notice.city.name if notice.city_id else "江苏"
        return f"【{sender}交警】{notice.title}：{notice.body}"


def deliver_due(*, now=None, limit: int = 200) -> dict:
    """Send the deliveries that are due, one batch.

    Steps: claim due pending deliveries (attempts + 1, next attempt pushed out by a lease, in a
    short transaction with SKIP LOCKED so parallel workers never take the same row); for each,
    outside any lock: hold a non-urgent SMS that falls in quiet hours until 08:00 without
    counting the attempt; otherwise send through the SMS or push backend and record sent +
    message id, or the error with the next retry time (failed after MAX_ATTEMPTS).
    """
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0, "held": 0}
    ids = _claim(now, limit)
    for delivery in Delivery.objects.filter(pk__in=ids).select_related("notice", "notice__city", "user"):
        if delivery.channel == Delivery.Channel.SMS and not delivery.urgent:
            release = sms_release_time(now)
            if release > now:
                Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=release, attempts=delivery.attempts - 1)
                counts["held"] += 1
                continue
        try:
            text, message_id = _send(delivery)
        except Exception as exc:  # any gateway error: retry with backoff, never crash the batch
            log.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, type(exc).__name__)
            final = delivery.attempts >= MAX_ATTEMPTS
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
                next_attempt_at=None if final else now + BACKOFF[delivery.attempts - 1],
                last_error=f"{type(exc).__name__}: {exc}"[:200],
            )
            counts["failed" if final else "retry"] += 1
            continue
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SENT,
            message_id=message_id,
            text=text,
            sent_at=now,
            next_attempt_at=None,
            last_error="",
        )
        counts["sent"] += 1
    return counts


def deliver_all(*, budget_seconds: float) -> dict:
    """Plan every new notice's channels, then send everything due, batch by batch.

    Steps: dispatch_new() until it finds no notice left, then deliver_due() until a batch finds
    nothing to do; no new batch starts once `budget_seconds` have passed (the rest waits for the
    next run). Returns the totals: dispatched notices and the deliver_due() counts.
    """
    started = time.monotonic()
    totals = {"dispatched": 0, "sent": 0, "retry": 0, "failed": 0, "held": 0}
    while time.monotonic() - started < budget_seconds:
        notices, _ = dispatch_new()
        totals["dispatched"] += notices
        if notices == 0:
            break
    while time.monotonic() - started < budget_seconds:
        counts = deliver_due()
        for key, value in counts.items():
            totals[key] += value
        if sum(counts.values()) == 0:
            break
    return totals


def delivery_reference(delivery_id: int) -> str:
    """The SMS gateway's out_id for a delivery (repeated sends of it are sent once)."""
    return f"open122-delivery-{delivery_id}"


def _send(delivery: Delivery) -> tuple[str, str]:
    notice = delivery.notice
    if delivery.channel == Delivery.Channel.SMS:
        if not delivery.user.is_active or not delivery.user.mobile:
            raise RuntimeError("recipient has no active mobile")
        text = sms_text(notice)
        # One reference per delivery: a worker killed between the gateway's answer and our write
        # leaves the claim to lapse and the delivery is sent again with the same out_id, which
        # the gateway sends once (portal/sms.py; docs/operations.md "Faults").
        return text, sms.send_sms(delivery.user.mobile, text, reference=delivery_reference(delivery.pk))
    with translation.override("zh-hans"):
        title, body = notice.title, notice.body
    message_id = push.send_push(
        user_id=delivery.user_id, title=title, body=body, data={"notice": notice.pk, "kind": notice.kind}
    )
    return f"{title}\n{body}", message_id


def record_receipt(*, channel: str, message_id: str, status: str, now=None) -> bool | None:
    """Apply a gateway's delivery receipt. Idempotent: a repeated or late receipt changes
    nothing. Returns True if applied, False if already final, None if the message is unknown."""
    now = now or timezone.now()
    final = {"delivered": Delivery.Status.DELIVERED, "failed": Delivery.Status.FAILED}[status]
    with transaction.atomic():
        updated = Delivery.objects.filter(channel=channel, message_id=message_id, status=Delivery.Status.SENT).update(
            status=final, receipt_at=now
        )
    if updated:
        return True
    return False if Delivery.objects.filter(channel=channel, message_id=message_id).exists() else None


def mark_read(notice: Notice, *, now=None) -> None:
    """Mark a notice read once (the first reading time is kept)."""
    Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now or timezone.now())


def preferences_save(*, user, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store a citizen's channel choices per kind ({code: (sms, push)}). Mandatory kinds and
    channels a kind does not use are ignored: they cannot be switched off here."""
    every = catalogue.all_kinds()
    with transaction.atomic():
        for code, (want_sms, want_push) in choices.items():
            kind = every.get(code)
            if kind is None or kind.mandatory:
                continue
            Preference.objects.update_or_create(
                user=user, kind=code, defaults={"sms": bool(want_sms), "push": bool(want_push)}
            )
