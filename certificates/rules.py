"""The fixed numbers of docs/rules.md §4 as pure date functions (no database).

Months are calendar months (dateutil clamps the 31st to a shorter month's last day); the
office's processing limits are working days (portal.workdays).
"""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta

# R-DL arts 60-75 (docs/rules.md §4.1): renewal within 90 days before expiry; 12123 offers it online up to 11 months
# after expiry (between 11 and 12 months only at the issuing office; after 12 cancelled, art 79).
RENEWAL_DAYS_BEFORE = 90
RENEWAL_ONLINE_MONTHS_AFTER = 11
# R-DL art 28 / §4.5: a medical certificate is valid 6 months from the exam.
MEDICAL_VALID_MONTHS = 6
MEDICAL_CORRECTION_HOURS = 24
# R-REG arts 51-57 / §4.1: the mark may be claimed within 3 months before the validity ends.
MARK_MONTHS_BEFORE = 3
# R-REG arts 51-57 / §4.1: temporary plate while new plates are made, at most 15 days.
TEMPORARY_PLATE_MAX_DAYS = 15
# Working days the office has to produce (R-REG arts 51-57, R-DL arts 60-75; docs/rules.md §4.3).
PLATES_WORKING_DAYS = 15
DOCUMENT_WORKING_DAYS = 1

# docs/rules.md §4.4: the national fee standard (yuan), which applies to any fee the province's
# table does not list (the table is seeded with these and edited by the province).
NATIONAL_FEES = {
    "plates": Decimal("100.00"),
    "temporary_plate": Decimal("5.00"),
    "vehicle_licence": Decimal("10.00"),
    "registration_cert": Decimal("10.00"),
    "inspection_mark": Decimal("0.00"),
    "driving_licence": Decimal("10.00"),
    "postage": Decimal("20.00"),
}

# R-DL art 13: validity classes.
VALIDITY_6, VALIDITY_10, LONG_TERM = 6, 10, None


def renewal_window(valid_until: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last day on which a licence expiring on valid_until may be renewed online."""
    return (
        valid_until - datetime.timedelta(days=RENEWAL_DAYS_BEFORE),
        valid_until + relativedelta(months=RENEWAL_ONLINE_MONTHS_AFTER),
    )


def medical_valid_until(exam_date: datetime.date) -> datetime.date:
    """Last day a medical certificate from exam_date may be used (6 months: the same date)."""
    return exam_date + relativedelta(months=MEDICAL_VALID_MONTHS)


def medical_oldest_valid_exam(today: datetime.date) -> datetime.date:
    """The oldest exam date whose certificate is still valid today."""
    return today - relativedelta(months=MEDICAL_VALID_MONTHS)


def mark_window_opens(valid_until: datetime.date) -> datetime.date:
    return valid_until - relativedelta(months=MARK_MONTHS_BEFORE)


def next_validity_years(current_years: int | None, reached_full_score: bool) -> int | None:
    """R-DL art 13: 6 -> 10 -> long-term, for a holder who never reached 12 points in a
    scoring cycle during the licence; otherwise the same length again."""
    if current_years is None:
        return LONG_TERM
    if reached_full_score:
        return current_years
    return VALIDITY_10 if current_years <= VALIDITY_6 else LONG_TERM


def validity_years(valid_from: datetime.date, valid_until: datetime.date | None) -> int | None:
    """6 or 10 (rounded to whole years) or None for long-term."""
    if valid_until is None:
        return None
    return VALIDITY_6 if (valid_until - valid_from).days < 8 * 365 else VALIDITY_10


# R-DL deferral article (docs/rules.md §4.7): renewal, review or medical deferred by at most 3 years
# ("最长不超过三年": the bound included), for military service or a stay abroad.
DEFERRAL_MAX_YEARS = 3


def deferral_latest_until(base: datetime.date) -> datetime.date:
    """The last date a deferral counted from `base` (the licence's expiry for renewal, the day of
    the request for the review and the medical) may run to: the same date 3 years later."""
    return base + relativedelta(years=DEFERRAL_MAX_YEARS)
