"""Settings for `make bench`: production-like (DEBUG off, persistent connections, real Redis cache,
manifest static files) plus the two baseline views, reachable only because BENCH_VIEWS is on.

Environment values are set before portal.settings reads them, so DEBUG-dependent defaults
(SECRET_KEY required, secure cookies, WhiteNoise manifest storage) follow production.
"""

import os

os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-key-not-secret-0123456789abcdef")
os.environ.setdefault("CONN_MAX_AGE", "600")
os.environ.setdefault("CACHE_KEY_PREFIX", "open122-bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from portal.settings import *  # noqa: E402,F403
from portal.settings import PORTAL_DOMAIN  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = [PORTAL_DOMAIN, f".{PORTAL_DOMAIN}", "127.0.0.1"]
# The load generator speaks plain HTTP over loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Routes portal.bench_urls (hello and one-query views). Never set in portal/settings.py.
BENCH_VIEWS = True
# No worker runs during a benchmark: tasks execute in the web process, which is also what a
# request that triggers them costs.
CELERY_TASK_ALWAYS_EAGER = True
# Codes land in Redis so that bench modules (another process) can read them: bench.common.last_sms_code().
SMS_BACKEND = "bench.common.RedisOutboxSmsBackend"
# Every simulated citizen comes from 127.0.0.1; the per-address daily caps would stop the run.
SMS_DAILY_CAP_PER_IP = 10**9
SMS_DAILY_CAP_PER_MOBILE = 10**6
