"""Shared pieces of the preselection services: the error type, city values, the hold deadline
and the one conditional UPDATE that reserves a number (docs/architecture.md: scarce things are decided by PostgreSQL, not Python).

Time comes from timezone.now() (not the database clock) so that the rules can be tested with
time travel.
"""

import datetime
import logging

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from plates.models import Hold, PlateNumber
from portal import citysettings, workdays

log = logging.getLogger(__name__)
_TABLE = PlateNumber._meta.db_table
START_PURPOSE = "plates.start"
CONFIRM_PURPOSE = "plates.confirm"


class PlateError(Exception):
    """A user-facing reason why a preselection step did not happen (nothing was written)."""


def _vehicle_label(vehicle) -> str:
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
def claimable_sql(alias: str = "") -> str:
    """The SQL condition under which a number may be claimed, for every claiming statement.

    A number is free when it is available, or when it is a backup whose claim has run out (so an
    expired backup is free at every instant, before the sweep tidies it). Inside a conditional
    UPDATE (or a SELECT ... FOR UPDATE) two concurrent claims serialise on the row, and the
    second re-checks this condition against the first one's result. Needs %(now)s.
    """
    a = f"{alias}." if alias else ""
    return f"({a}status = 'available' OR ({a}status = 'backup' AND {a}claim_expires_at < %(now)s))"


def _loaded(instance):
    # Built from RETURNING columns: mark it as a stored row without another SELECT.
    instance._state.adding = False
    return instance


def _claimed_backup(selection, *, number_id, block_id, serial, plate_type, number, expires) -> PlateNumber:
    """The number a claiming statement just made this selection's backup, from its RETURNING columns."""
    return _loaded(
        PlateNumber(
            id=number_id,
            city_id=selection.city_id,
            block_id=block_id,
            plate_type=plate_type,
            number=number,
            serial=serial,
            status=PlateNumber.Status.BACKUP,
            claimed_selection_id=selection.pk,
            claim_expires_at=expires,
        )
    )
