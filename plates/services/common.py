"""Shared pieces of the preselection services: the error type, city values, the hold deadline
and the one conditional UPDATE that reserves a number (design.md "Scarce things under a rush").

Time comes from timezone.now() (not the database clock) so that the rules can be tested with
time travel.
"""

import datetime
import logging

from django.db import connection
from django.utils import timezone

from plates.models import Hold, PlateNumber, Selection
from portal import citysettings, workdays
from portal.db import Prepared

log = logging.getLogger(__name__)
_TABLE = PlateNumber._meta.db_table
START_PURPOSE = "plates.start"
CONFIRM_PURPOSE = "plates.confirm"


class PlateError(Exception):
    """A user-facing reason why a preselection step did not happen (nothing was written)."""


def _vehicle_label(vehicle) -> str:
    # Notices carry no personal data: brand, model and the VIN's last 6 identify the car.
    return f"{vehicle.brand} {vehicle.model_name} (VIN …{vehicle.vin[-6:]})".strip()


def local(city, *keys) -> dict:
    """Several [LOCAL] values of a city: {key: value} (portal.citysettings.get_many)."""
    return citysettings.get_many(city, *keys)


def hold_deadline(selected_on: datetime.date, city, working_days: int | None = None) -> datetime.datetime:
    """End of the N-th working day after the day of selection (rules.md 1.8), Asia/Shanghai."""
    if working_days is None:
        working_days = citysettings.get(city, "plate_hold_working_days")
    last_day = workdays.add_working_days(selected_on, working_days)
    return timezone.make_aware(datetime.datetime.combine(last_day, datetime.time(23, 59, 59)))


def deadline_day(hold: Hold) -> datetime.date:
    return timezone.localtime(hold.expires_at).date()


# --- Claims ----------------------------------------------------------------------------------
_CLAIM_SQL = Prepared(
    "plates_claim",
    f"UPDATE {_TABLE} SET status = 'backup', claimed_selection_id = %(selection)s, claim_expires_at = %(expires)s"
    f" WHERE city_id = %(city)s AND plate_type = %(plate_type)s AND number = %(number)s"
    f" AND (status = 'available' OR (status = 'backup' AND claim_expires_at < %(now)s)) RETURNING id, block_id, serial",
)


def _claim(selection: Selection, number: str, now: datetime.datetime, seconds: int | None = None) -> PlateNumber | None:
    """Reserve a number as this selection's backup for plate_backup_seconds; the number, or None.

    The WHERE clause is the whole decision: a number is free when it is available, or when it is
    a backup whose claim has run out (so an expired backup is free at every instant, before the
    sweep tidies it). Two concurrent claims serialise on the row; the second sees the new status.
    """
    if seconds is None:
        seconds = citysettings.get(selection.city, "plate_backup_seconds")
    expires = now + datetime.timedelta(seconds=seconds)
    params = {
        "selection": selection.pk, "expires": expires, "city": selection.city_id, "plate_type": selection.plate_type,
        "number": number, "now": now,
    }  # fmt: skip
    with connection.cursor() as cursor:
        _CLAIM_SQL.execute(cursor, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _loaded(
        PlateNumber(
            id=row[0], city_id=selection.city_id, block_id=row[1], plate_type=selection.plate_type, number=number,
            serial=row[2], status=PlateNumber.Status.BACKUP, claimed_selection_id=selection.pk, claim_expires_at=expires,
        )
    )  # fmt: skip


def _loaded(instance):
    # Built from RETURNING columns: mark it as a stored row without another SELECT.
    instance._state.adding = False
    return instance
