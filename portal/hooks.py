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
