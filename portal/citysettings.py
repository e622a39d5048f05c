"""Typed per-city settings for every [LOCAL] rule in docs/rules.md, with the documented defaults.

Read them only through get(city, key). A province administrator overrides a value for one city
in the admin (CitySetting rows); the registry below is the single list of what can be set.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.processcache import TimedCache


@dataclass(frozen=True)
class Setting:
    key: str
    default: object
    help: str
    type: type = int
    min_value: int | None = 0


_REGISTRY: dict[str, Setting] = {}


def register(key, default, help, type=int, min_value=0):
    _REGISTRY[key] = Setting(key, default, help, type, min_value)


def registry() -> dict[str, Setting]:
    return dict(_REGISTRY)


def coerce(key: str, raw):
    """Convert an admin-entered or stored value to the setting's type, or raise ValidationError."""
    spec = _REGISTRY[key]
    try:
        if spec.type is bool:
            if isinstance(raw, str):
                if raw.strip().lower() in ("true", "1", "yes", "on"):
                    return True
                if raw.strip().lower() in ("false", "0", "no", "off"):
                    return False
                raise ValueError(raw)
            return bool(raw)
        if spec.type is Decimal:
            value = Decimal(str(raw))
        else:
            value = spec.type(raw)
    except (TypeError, ValueError, ArithmeticError):
        kinds = {int: _("whole number"), Decimal: _("decimal amount"), bool: _("true or false")}
        raise ValidationError(
            _("%(key)s must be a %(type)s.") % {"key": key, "type": kinds.get(spec.type, spec.type.__name__)}
        ) from None
    if spec.min_value is not None and spec.type in (int, Decimal) and value < spec.min_value:
        raise ValidationError(_("%(key)s must be at least %(min)s.") % {"key": key, "min": spec.min_value})
    return value


def _load_overrides(city_id: int) -> dict:
    from portal.models import CitySetting

    rows = {}
    for key, raw in CitySetting.objects.filter(city_id=city_id).values_list("key", "value"):
        if key in _REGISTRY:
            try:
                rows[key] = coerce(key, raw)
            except ValidationError:
                continue  # a value stored before its type changed falls back to the default
    return rows


# Every rush request reads three to five of these: a city's overrides are kept per process
# (portal.processcache) instead of a query per value.
_overrides = TimedCache(_load_overrides)


def get(city, key: str):
    """The value of a [LOCAL] rule for a city (a City, or None for the province default)."""
    return get_by_id(city.pk if city is not None else None, key)


def get_by_id(city_id: int | None, key: str):
    """get() by the city's id, for a caller that read a row's city_id and no City."""
    spec = _REGISTRY[key]
    if city_id is not None:
        overrides = _overrides.get(city_id)
        if key in overrides:
            return overrides[key]
    return spec.default


def get_many(city, *keys) -> dict:
    """Several values of a city at once: {key: value}."""
    return {key: get(city, key) for key in keys}


# --- Plate preselection (docs/rules.md §2) ---------------------------
register(
    "plate_hold_working_days", 3, "Working days a preselected number is held, counted from the day after selection"
)
register("plate_ban_years", 2, "Years of the online-preselection ban after a lapsed or abandoned hold")
register("plate_random_batches", 5, "Random batches a vehicle may draw", min_value=1)
register("plate_random_batch_size", 10, "Numbers per random batch", min_value=1)
register("plate_random_batch_seconds", 90, "Seconds a random batch stays valid", min_value=1)
register("plate_backup_seconds", 180, "Seconds a number moved to the backup list is reserved", min_value=1)
register("plate_compose_tries", 20, "Self-composed tries per vehicle")
register("plate_compose_candidates", 5, "Candidates per self-composed round", min_value=1)
register("plate_compose_interval_seconds", 8, "Minimum seconds between self-composed rounds")
register("plate_second_sms", True, "Ask for a second SMS code at final confirmation", type=bool)
register("plate_pool_min_available", 50000, "Numbers kept available per plate type", min_value=1)
register("plate_block_announce_days", 3, "Calendar days a new block is announced before it opens")
register(
    "plate_review_working_days",
    1,
    "Working days the office has to review a flagged hold's invoice, counted from the day after it arrived",
    min_value=1,
)
register("plate_hall_batch_size", 50, "Numbers offered in one office-hall random draw", min_value=1)
register(
    "plate_suspicious_selections_per_hour",
    3,
    "Selections for different citizens from one device (browser cookie) within an hour that flag a hold",
    min_value=2,
)
# --- Violations and binding (docs/rules.md §5) -------------------------------------------------
register("online_fine_limit", Decimal("200"), "Highest fine (yuan, inclusive) handled online", type=Decimal)
register("online_points_limit", 12, "Current points plus new points must stay below this to handle online", min_value=1)
register("binding_other_drivers_per_vehicle", 2, "Drivers besides the owner who may register one car")
register("binding_vehicles_per_driver", 3, "Non-owned cars one driver may register")
register(
    "watchlist_plates_per_driver",
    3,
    "Non-owned plates handled by one driver in 12 months that put them on the watch list",
    min_value=1,
)
register(
    "watchlist_drivers_per_plate",
    3,
    "Drivers handling one plate's violations in 12 months that put it on the watch list",
    min_value=1,
)
register(
    "watchlist_binding_changes", 4, "Binding changes of one car in 12 months above which it is watched", min_value=1
)
# --- Exams (docs/rules.md §3) ------------------------------------------------------------------
register(
    "exam_publish_days_before",
    10,
    "Working days before the exam a plan must be published (R-DL arts 39, 110)",
    min_value=1,
)
register("exam_close_working_days_before", 3, "Working days before the exam the booking window closes", min_value=1)
register("exam_offer_hours", 24, "Hours a candidate has to accept a freed seat", min_value=1)
# --- Fees in yuan (docs/rules.md §3 and §4.4; provinces set their own) -------------------------
register("fee_plate_pair", Decimal("100"), "Reflective car plates, per pair", type=Decimal)
register("fee_temporary_plate", Decimal("5"), "Temporary plate", type=Decimal)
register("fee_vehicle_licence", Decimal("10"), "Vehicle licence (行驶证)", type=Decimal)
register("fee_registration_certificate", Decimal("10"), "Registration certificate (登记证书)", type=Decimal)
register("fee_driving_licence", Decimal("10"), "Driving licence", type=Decimal)
register("fee_exam_subject1", Decimal("60"), "Exam fee, subject 1", type=Decimal)
register("fee_exam_subject2", Decimal("300"), "Exam fee, subject 2", type=Decimal)
register("fee_exam_subject3", Decimal("150"), "Exam fee, subject 3", type=Decimal)
register("fee_postage", Decimal("20"), "Postage for a mail-out", type=Decimal)
