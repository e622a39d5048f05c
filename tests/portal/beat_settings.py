"""Settings for the two real beat processes of tests/portal/test_beat.py: the production
scheduler (RedBeat) with a one-second entry on a queue of the test's own, and short lock times
so that a take-over is seen within seconds."""

import os

from portal.settings import *  # noqa: F403

CELERY_REDBEAT_KEY_PREFIX = os.environ["BEAT_TEST_PREFIX"]
CELERY_REDBEAT_LOCK_TIMEOUT = 4
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
CELERY_BEAT_SCHEDULE = {
    "tick": {
        "task": "portal.tasks.beat_heartbeat",
        "schedule": 1.0,
        "options": {"queue": os.environ["BEAT_TEST_QUEUE"]},
    }
}
# The control of the test names Celery's default scheduler, which has no lock.
CELERY_BEAT_SCHEDULER = os.environ.get("BEAT_TEST_SCHEDULER", CELERY_BEAT_SCHEDULER)  # noqa: F405
