"""The watch list of suspected proxies (涉嫌代替接受处理重点人员名单, docs/rules.md §5.6).

In 12 months: one driver handling records of >= 3 non-owned plates, >= 3 drivers handling one
plate's records, or a car whose bindings changed more than 4 times (all per-city settings) put
the people and the vehicle on the list. While listed, online handling stops, the page says why
and where to go, until a clerk clears the entry with a recorded reason.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import notices
from portal import audit, citysettings, identity
from violations.models import Binding, Decision, WatchEntry
from violations.services.common import ViolationError

WHERE = gettext_lazy(
    "Go to the violation-handling counter of the traffic police with your ID card to have it reviewed."
)


def year_ago(now):
    return now - datetime.timedelta(days=365)


def open_entries(id_number: str | None = None, vehicles=(), *, key: str = "", vehicle_ids=()):
    """The open entries naming the person (their ID number, or their look-up key) or one of
    the vehicles (or of the vehicles by id)."""
    key = key or (identity.id_key(id_number) if id_number else "")
    q = Q(pk__in=[])
    if key:
        q |= Q(id_number_hash=key, vehicle__isnull=True)
    vehicle_ids = [v.pk for v in vehicles] + list(vehicle_ids)
    if vehicle_ids:
        q |= Q(vehicle_id__in=vehicle_ids)
    return WatchEntry.objects.filter(q, cleared_at__isnull=True).select_related("vehicle")


def _naming(key: str, vehicle: Q) -> Exists:
    """Whether an open entry names the person (by their ID look-up key, an entry without a
    vehicle) or a vehicle that `vehicle` matches."""
    return Exists(
        WatchEntry.objects.filter(Q(id_number_hash=key, vehicle__isnull=True) | vehicle, cleared_at__isnull=True)
    )


def listed_with_record(key: str) -> Exists:
    """Whether an open entry names the person or the vehicle of the record in the outer query:
    "my violations" asks it with the records it reads anyway, and reads the entries themselves,
    for their reasons, only when there is one."""
    return _naming(key, Q(vehicle_id=OuterRef("vehicle_id")))


def other_handlers(key: str, since) -> Coalesce:
    """How many drivers other than the person (by their look-up key) had decisions on the
    vehicle of the record in the outer query since `since`, as an expression the handling's
    locking read of its records carries (its check_after_handling adds the handler, whose own
    decisions are written later in the same transaction): no statement of its own."""
    decisions = (
        Decision.objects.filter(violation__vehicle_id=OuterRef("vehicle_id"), decided_at__gte=since)
        .exclude(handler_id_number_hash=key)
        .order_by()
        .values("violation__vehicle_id")
        .annotate(n=Count("handler_id_number_hash", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(decisions), 0)


def watch_reasons(id_number: str = "", vehicles=(), *, key: str = "", vehicle_ids=()) -> list[str]:
    """The refusals a listed person or vehicle sees: why, and where to go. The person is their
    ID number or their look-up key; the vehicles are objects or their ids."""
    reasons = []
    for entry in open_entries(id_number, vehicles, key=key, vehicle_ids=vehicle_ids):
        who = _("Vehicle %(plate)s") % {"plate": entry.vehicle} if entry.vehicle_id else _("You")
        reasons.append(
            _("%(who)s are on the watch list of suspected proxy handling (%(why)s): online handling is stopped. ")
            % {"who": who, "why": entry.get_reason_display()}
            + str(WHERE)
        )
    return reasons


def _list(*, city, reason, detail, now, id_number="", name="", vehicle=None) -> WatchEntry | None:
    existing = WatchEntry.objects.filter(reason=reason, cleared_at__isnull=True)
    existing = (
        existing.filter(vehicle=vehicle)
        if vehicle is not None
        else existing.filter(id_number_hash=identity.id_key(id_number), vehicle__isnull=True)
    )
    if existing.exists():
        return None
    try:
        with transaction.atomic():
            entry = WatchEntry(
                city=city,
                reason=reason,
                detail=detail[:300],
                listed_at=now,
                id_number=id_number,
                name=name,
                vehicle=vehicle,
            )
            entry._change_reason = "listed"
            entry.save()
    except IntegrityError:  # listed a moment ago by another handling
        return None
    notices.notify(
        "violations.watch_listed",
        id_number=id_number or vehicle.owner_id_number,
        city=city,
        context={"why": str(entry.get_reason_display()), "plate": str(vehicle) if vehicle else ""},
        dedupe_key=f"violations.watch:{entry.pk}",
    )
    return entry


def check_after_handling(id_number: str, name: str, records, now) -> list[WatchEntry]:
    """Run after a handling commits its decisions (same transaction). Each record carries
    `other_handlers`: how many other drivers had decisions on its vehicle in 12 months
    (other_handlers, read with the records' lock)."""
    key = identity.id_key(id_number)
    listed = []
    since = year_ago(now)
    non_owned = [r for r in records if r.vehicle.owner_id_number_hash != key]
    if non_owned:
        city = non_owned[0].city
        plates = (
            Decision.objects.filter(handler_id_number_hash=key, decided_at__gte=since)
            .exclude(violation__vehicle__owner_id_number_hash=key)
            .values("violation__vehicle_id")
            .distinct()
            .count()
        )
        if plates >= citysettings.get(city, "watchlist_plates_per_driver"):
            detail = _("handled records of %(n)s non-owned vehicles in 12 months") % {"n": plates}
            listed.append(
                _list(
                    city=city,
                    reason=WatchEntry.Reason.PLATES_PER_DRIVER,
                    detail=detail,
                    now=now,
                    id_number=id_number,
                    name=name,
                )
            )
            for record in non_owned:
                listed.append(
                    _list(
                        city=record.city,
                        reason=WatchEntry.Reason.PLATES_PER_DRIVER,
                        detail=detail,
                        now=now,
                        vehicle=record.vehicle,
                    )
                )
    for record in {r.vehicle_id: r for r in records}.values():
        vehicle = record.vehicle
        # Counted by the handlers' look-up keys (each row's ciphertext differs, the key does not):
        # their numbers and names are read, and decrypted, only when the count lists them.
        count = record.other_handlers + 1  # with the handler, whose decisions are written by now
        if count >= citysettings.get(vehicle.city, "watchlist_drivers_per_plate"):
            decisions = Decision.objects.filter(violation__vehicle=vehicle, decided_at__gte=since)
            handlers = {}
            for handler, handler_name in decisions.values_list("handler_id_number", "handler_name"):
                handlers[identity.id_key(handler)] = (handler, handler_name)
            detail = _("%(n)s drivers handled records of %(plate)s in 12 months") % {
                "n": count,
                "plate": vehicle,
            }
            listed.append(
                _list(
                    city=vehicle.city,
                    reason=WatchEntry.Reason.DRIVERS_PER_PLATE,
                    detail=detail,
                    now=now,
                    vehicle=vehicle,
                )
            )
            for handler_key, (handler, handler_name) in handlers.items():
                if handler_key != vehicle.owner_id_number_hash:
                    listed.append(
                        _list(
                            city=vehicle.city,
                            reason=WatchEntry.Reason.DRIVERS_PER_PLATE,
                            detail=detail,
                            now=now,
                            id_number=handler,
                            name=handler_name,
                        )
                    )
    return [e for e in listed if e is not None]


def check_binding_changes(vehicle, driver_key: str, driver_name: str, now) -> WatchEntry | None:
    """A car whose bindings changed more than the city's limit in 12 months is watched, with the
    driver whose change crossed it ("frequent binding and unbinding")."""
    since = year_ago(now)
    changes = (
        Binding.objects.filter(vehicle=vehicle, approved_at__gte=since).count()
        + Binding.objects.filter(vehicle=vehicle, ended_at__gte=since, status=Binding.Status.REVOKED).count()
    )
    if changes <= citysettings.get(vehicle.city, "watchlist_binding_changes"):
        return None
    detail = _("the bindings of %(plate)s changed %(n)s times in 12 months") % {"plate": vehicle, "n": changes}
    entry = _list(city=vehicle.city, reason=WatchEntry.Reason.BINDING_CHANGES, detail=detail, now=now, vehicle=vehicle)
    _list(
        city=vehicle.city,
        reason=WatchEntry.Reason.BINDING_CHANGES,
        detail=detail,
        now=now,
        id_number=driver_key,
        name=driver_name,
    )
    return entry


def watch_clear(entry, *, reason: str, by) -> bool:
    reason = (reason or "").strip()
    if not reason:
        raise ViolationError(_("Give the reason for clearing the entry."))
    with transaction.atomic():
        won = WatchEntry.objects.filter(pk=entry.pk, cleared_at__isnull=True).update(
            cleared_at=timezone.now(), cleared_by=by, cleared_reason=reason[:300]
        )
        if won:
            audit.record(entry, f"cleared: {reason[:80]}", by)
    return bool(won)
