"""Shared pieces of the preselection services: the error type, city values, the hold deadline
and the condition under which a number may be claimed (docs/architecture.md: scarce things are decided by PostgreSQL, not Python).

Time comes from timezone.now() (not the database clock) so that the rules can be tested with
time travel.
"""

import datetime
import logging

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils import timezone

from plates.models import Hold, PlateNumber
from portal import citysettings, workdays

log = logging.getLogger(__name__)
START_PURPOSE = "plates.start"
CONFIRM_PURPOSE = "plates.confirm"


class PlateError(Exception):
    """A user-facing reason why a preselection step did not happen (nothing was written)."""


def vehicle_label(vehicle) -> str:
    # Notices carry no personal data: brand, model and the VIN's last 6 identify the car.
    return f"{vehicle.brand} {vehicle.model_name} (VIN …{vehicle.vin[-6:]})".strip()


def hold_deadline(selected_on: datetime.date, city, working_days: int | None = None) -> datetime.datetime:
    """End of the N-th working day after the day of selection (docs/rules.md §0, §2), Asia/Shanghai."""
    if working_days is None:
        working_days = citysettings.get(city, "plate_hold_working_days")
    last_day = workdays.add_working_days(selected_on, working_days)
    return timezone.make_aware(datetime.datetime.combine(last_day, datetime.time(23, 59, 59)))


def ban_period(hold: Hold, years: int) -> tuple[datetime.datetime, datetime.datetime]:
    """(starts_at, ends_at) of the ban a lapsed or abandoned hold brings (docs/rules.md §2).

    It runs from the online preselection (the moment the number was selected), not from the day
    the hold ended, for `years` calendar years: the day of selection does not count and the last
    day is the same date `years` later, to its end (Civil Code art 201, 203); ends_at is the
    first instant after it. A 29 February selection ends on 28 February.
    """
    last_day = hold.selected_on + relativedelta(years=years)
    ends_at = timezone.make_aware(datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time()))
    return hold.created_at, ends_at


def deadline_day(hold: Hold) -> datetime.date:
    return timezone.localtime(hold.expires_at).date()


# --- Claims ----------------------------------------------------------------------------------
def claimable(now) -> Q:
    """The condition under which a number may be claimed, for every claim of a number.

    A number is claimable when it is available, or when it is a backup whose claim has run out
    (so an expired backup is claimable at every instant, before the sweep tidies it). In a
    conditional UPDATE (`.filter(claimable(now)).update(...)`) two concurrent claims serialise
    on the row, and the second re-checks this condition against the first one's result, so its
    row count is 0 (docs/architecture.md "Scarce things under a rush").
    """
    return Q(status=PlateNumber.Status.AVAILABLE) | Q(status=PlateNumber.Status.BACKUP, claim_expires_at__lt=now)
