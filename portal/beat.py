"""celery-redbeat's scheduler, surviving a Redis that comes back empty (docs/operations.md "Faults").

RedBeat keeps the schedule and its beat lock in Redis and writes the schedule only when a beat
starts. A Redis restarted without its data (no persistence, or a replica promoted before it had
the keys) left the cluster without any sweep: the beat holding the lock died on its next tick
(the lock it extends is gone), and the waiting beat took the new, free lock and found an empty
schedule. Here a beat that lost its lock takes it again if it is free (else it waits as the
others do), and the lock holder writes the static schedule back when Redis lost it; the entries'
last run times are lost with it, so each sweep runs once more at the next tick, which the sweeps
allow (they are idempotent).
"""

import logging

from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, get_redis
from redbeat.schedulers import RedBeatScheduler as _RedBeatScheduler
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.sentinel import MasterNotFoundError

log = logging.getLogger("celery.beat")


class RedBeatScheduler(_RedBeatScheduler):
    def _holds_lock(self) -> bool:
        """True if this beat holds the lock, taking it when it is free (else it waits, standby)."""
        if self.lock is None:
            # RedBeat's blocking acquire at start failed (Redis was down then): made here as there.
            client = get_redis(self.app)
            self.lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
            self.lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        if self.lock.owned():
            return True
        if self.lock.acquire(blocking=False):
            log.info("beat: Acquired lock")
            return True
        return False

    def tick(self, *args, **kwargs):
        try:
            if self.lock_key and not self._holds_lock():
                return self.max_interval
            if not get_redis(self.app).exists(self.app.redbeat_conf.statics_key):
                log.warning("beat: the schedule is missing from Redis (restarted empty?); writing it again")
                self.setup_schedule()
            return super().tick(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError, MasterNotFoundError) as exc:
            # Until Sentinel's master answers again; the lock lapses meanwhile and is re-taken above.
            log.warning("beat: Redis unavailable (%s); waiting", exc)
            return self.max_interval
        except LockError:  # the lock lapsed between the check and the extension: re-taken next tick
            return self.max_interval
