"""The fixed numbers of R-DL for exams (docs/rules.md §3) and the public draw.

Pure functions only: no database, so the draw can be re-run by anyone from the revealed seed.
"""

import datetime
import hashlib
from dataclasses import dataclass

# docs/rules.md §3: days the learner permit must have been held before requesting (subject 2, road test).
_WAITS = {
    **dict.fromkeys(("C2", "C5", "C3", "C4", "D", "E", "F"), (10, 20)),
    **dict.fromkeys(("C1", "M", "N", "P"), (10, 30)),
    **dict.fromkeys(("A1", "A2", "A3", "B1", "B2"), (20, 40)),
    # The rule lists no road-test wait for C6; we apply its subject-2 wait.
    "C6": (20, 20),
}
# docs/rules.md §3 (令172): (minimum age, maximum age or None) on the exam day.
_AGES = {
    **dict.fromkeys(("C1", "C2", "C5", "F"), (18, None)),
    **dict.fromkeys(("D", "E"), (18, 70)),
    "C6": (20, 70),
    **dict.fromkeys(("C3", "C4", "M"), (18, 63)),
    **dict.fromkeys(("A3", "B1", "B2", "N", "P"), (20, 63)),
    **dict.fromkeys(("A1", "A2"), (22, 63)),
}
LARGE_CLASSES = frozenset(("A1", "A2", "A3", "B1", "B2"))
# R-DL art 46-47.
FAIL_WAIT_DAYS = 10
MAX_BOOKINGS = 5
PERMIT_YEARS = 3


# docs/rules.md §0: R-DL art 110 counts its "一日、二日、三日、五日、七日、十日、十五日" in working
# days (holidays out, make-up days in). The longer learner-permit waits of arts 39-40
# (二十日、三十日、四十日) are not in that list, so they are calendar days.
R_DL_WORKING_DAY_PERIODS = frozenset((1, 2, 3, 5, 7, 10, 15))


def counts_working_days(days: int) -> bool:
    """Whether an R-DL period of `days` days counts working days (else calendar days)."""
    return days in R_DL_WORKING_DAY_PERIODS


def permit_wait_days(licence_class: str, subject: str, holds_car_licence: bool = False) -> int:
    subject2, road = _WAITS[licence_class]
    if subject == "2":
        return subject2
    if licence_class in LARGE_CLASSES and holds_car_licence:
        return 30
    return road


def age_limits(licence_class: str) -> tuple[int, int | None]:
    return _AGES[licence_class]


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Completed years on `day` (a birthday counts on the day itself)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- The public draw ----------------------------------------------------------------------------
def seed_commitment(seed: str) -> str:
    """sha256("<seed>") in hex: published with the plan, before the seed itself (docs/rules.md §3)."""
    return hashlib.sha256(seed.encode()).hexdigest()


def draw_hash(seed: str, number: str) -> str:
    """sha256("<seed>:<request number>") in hex: the tie-break anyone can recompute."""
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    number: str  # public request number, e.g. "12-0000345"
    priority: bool
    key_time: datetime.datetime


def rank(requests, seed: str) -> list:
    """Order requests as the allocation does: priority bookings first, then the earlier ranking
    time (docs/rules.md §3), then the draw hash of the committed seed and the request number.

    `requests` are objects or dicts with number, priority and key_time. The SQL allocation in
    services.plans_allocate orders by the same key; tests check both agree.
    """

    def get(item, name):
        return item[name] if isinstance(item, dict) else getattr(item, name)

    return sorted(
        requests,
        key=lambda r: (not get(r, "priority"), get(r, "key_time"), draw_hash(seed, get(r, "number"))),
    )
