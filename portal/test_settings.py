"""Settings for pytest: the real ones, with eager Celery, the locmem SMS outbox and fast hashing."""

import os

from portal.settings import *  # noqa: F403
from portal.settings import CACHES

CELERY_TASK_ALWAYS_EAGER = True
SMS_BACKEND = "portal.sms.LocmemBackend"
PUSH_BACKEND = "notices.push.SandboxPushBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run gets its own key space in the shared Redis.
CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the test
# itself are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The proof of work before rush requests is off for the suite; tests/portal/test_antibot.py turns
# it on (and the benches solve it like a browser).
ANTIBOT_ENABLED = False
