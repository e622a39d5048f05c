"""Per-process copies of rows that change a few times a year but that every request reads.

Cities, per-city settings and the holiday calendar are kept in each process for a minute rather
than queried per request (or per value). A save or delete of a source row clears the saving
process's copy at once and again at commit (another thread may reload the old row in between);
other processes see the change within TTL seconds.
"""

import time

from django.db import transaction

TTL = 60.0
_caches: list["TimedCache"] = []


class TimedCache:
    """load(key) results, kept in this process for `ttl` seconds per key."""

    clock = staticmethod(time.monotonic)

    def __init__(self, load, ttl: float = TTL):
        self.load, self.ttl = load, ttl
        self._entries: dict = {}
        _caches.append(self)

    def get(self, key=None):
        now = self.clock()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = self.load(key)
        self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def clear_on_change(self, **kwargs) -> None:
        """Signal receiver (post_save, post_delete) for the source rows."""
        self.clear()
        transaction.on_commit(self.clear)


def clear_all() -> None:
    """Drop every copy in this process (tests call it before each test)."""
    for cache in _caches:
        cache.clear()
