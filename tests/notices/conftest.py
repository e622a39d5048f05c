import datetime
from zoneinfo import ZoneInfo

import pytest

from notices import push

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: datetime.date | str, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A Beijing-time moment for time travel."""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clean_push_outbox():
    push.outbox.clear()
    yield
    push.outbox.clear()


@pytest.fixture
def push_outbox():
    return push.outbox
