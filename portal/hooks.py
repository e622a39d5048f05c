"""Extension points that let portal show what service apps know without importing them.

Each service app registers its providers in AppConfig.ready(). Pages in portal or notices (the
public statistics page, the calendar feed) iterate over the providers.
"""

import datetime
from dataclasses import dataclass, field


@dataclass
class Deadline:
    """A date a citizen must act by (calendar feed)."""

    when: datetime.datetime | datetime.date
    title: str
    description: str = ""
    url: str = ""
    uid: str = ""
    # A timed entry may have an end (a travel notice's closure); a date is one whole day.
    ends: datetime.datetime | None = None


@dataclass
class StatsSection:
    """One table on the public statistics page of a city."""

    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


@dataclass
class ServiceEntry:
    """One service on a city's home page (docs/rules.md §8): the page it starts at, its title and
    a line saying what it does; `order` places it among the others."""

    url_name: str
    title: str
    description: str
    order: int = 100


# ServiceEntry, in the order the home page shows them
service_entries: list = []
# callables (user) -> iterable[Deadline]
deadline_providers: list = []
# callables (city) -> iterable[StatsSection]
stats_providers: list = []
# callables (stdout) -> None: load an app's demo data after the platform's (manage.py demo)
demo_loaders: list = []
# notice kind -> callable (context) -> (url, label) or None: where the reader acts on a notice
notice_links: dict = {}


def register_service(url_name: str, title, description, *, order: int = 100) -> ServiceEntry:
    """A service app's entry on the home page (in AppConfig.ready()); once per url_name."""
    entry = ServiceEntry(url_name, title, description, order)
    service_entries[:] = [e for e in service_entries if e.url_name != url_name] + [entry]
    service_entries.sort(key=lambda e: (e.order, e.url_name))
    return entry


def register_deadlines(fn):
    deadline_providers.append(fn)
    return fn


def register_stats(fn):
    stats_providers.append(fn)
    return fn


def register_demo(fn):
    demo_loaders.append(fn)
    return fn


def register_notice_link(kind: str, fn):
    """Let a notice of `kind` link to the service that answers it (the notice page shows a button)."""
    notice_links[kind] = fn
    return fn


def notice_link(kind: str, context: dict):
    fn = notice_links.get(kind)
    return fn(context or {}) if fn is not None else None


def _sort_key(deadline: Deadline) -> datetime.datetime:
    from django.utils import timezone

    when = deadline.when
    if not isinstance(when, datetime.datetime):
        when = datetime.datetime.combine(when, datetime.time.max)
    return when if timezone.is_aware(when) else timezone.make_aware(when)


def deadlines_for(user) -> list[Deadline]:
    items = []
    for provider in deadline_providers:
        items.extend(provider(user))
    return sorted(items, key=_sort_key)


def stats_for(city):
    sections = []
    for provider in stats_providers:
        sections.extend(provider(city))
    return sections


# --- Unit accounts (docs/rules.md §1.2) --------------------------------------------------------
@dataclass
class UnitSection:
    """One table on a unit's dashboard, filled by the service app that knows it (violations of
    the unit's vehicles, a driving school's students' exams)."""

    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


# callables (unit, vehicles, licences) -> iterable[UnitSection]
unit_section_providers: list = []
# callables (vehicle_ids) -> dict[vehicle_id, int]: how many unhandled violations each vehicle has
unhandled_violation_counters: list = []


def register_unit_section(fn):
    unit_section_providers.append(fn)
    return fn


def register_unhandled_violations(fn):
    unhandled_violation_counters.append(fn)
    return fn


def unit_sections(unit, vehicles, licences) -> list[UnitSection]:
    sections = []
    for provider in unit_section_providers:
        sections.extend(provider(unit, vehicles, licences))
    return sections


def unhandled_violations(vehicle_ids) -> dict[int, int]:
    """Unhandled violations per vehicle id, summed over the registered counters (0 when none)."""
    counts: dict[int, int] = {}
    ids = list(vehicle_ids)
    for counter in unhandled_violation_counters:
        for vehicle_id, n in counter(ids).items():
            counts[vehicle_id] = counts.get(vehicle_id, 0) + n
    return counts


# --- Reviews and 70+ medicals (docs/rules.md §4.7, §6.2) ---------------------------------------
# The notices sweep finds who is due from the registry, then asks the apps that hold the answer
# which of them have already acted, so notices reads no service app's tables (design: notices
# imports only portal). Each provider gets the candidates of one sweep at once and answers in
# one query.
# callables (rows: list of (id_number_hash, since)) -> set of id_number_hash with a current "fit"
# medical certificate examined on or after `since` (certificates)
medical_providers: list = []
# callables (rows: list of (licence_id, start, end)) -> set of licence_id with points recorded on a
# day in [start, end), that is within the points cycle (violations)
point_record_providers: list = []


def register_medical_provider(fn):
    medical_providers.append(fn)
    return fn


def register_point_records(fn):
    point_record_providers.append(fn)
    return fn


def medicals_since(rows) -> set:
    """The ID-number keys of `rows` (key, since) with a fit medical examined on or after since."""
    rows, found = list(rows), set()
    for provider in medical_providers if rows else ():
        found |= set(provider(rows))
    return found


def points_recorded(rows) -> set:
    """The licence ids of `rows` (id, start, end) with points recorded in [start, end)."""
    rows, found = list(rows), set()
    for provider in point_record_providers if rows else ():
        found |= set(provider(rows))
    return found
