"""Two beat processes at once send each periodic task once, and the survivor of a killed beat
takes over (docs/operations.md, "Celery beat"). Real `celery beat` processes against the real
Redis; the test counts the messages they put on a queue of its own."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _start_beat(env, log_path):
    log = open(log_path, "w")  # noqa: SIM115 (closed with the process)
    schedule_file = str(log_path) + ".schedule"  # used by the control's file-based scheduler only
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO", "-s", schedule_file],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    return process


def _wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _acquired(path):
    return "beat: Acquired lock" in Path(path).read_text(errors="replace")


def _env(prefix, queue, **extra):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.portal.beat_settings",
        "BEAT_TEST_PREFIX": prefix,
        "BEAT_TEST_QUEUE": queue,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        **extra,
    }


def _cleanup(broker, queue, prefix):
    # Only what this test created: its queue and its scheduler's keys.
    broker.delete(queue)
    beat_redis = redis.Redis.from_url(settings.CELERY_REDBEAT_REDIS_URL)
    for key in beat_redis.scan_iter(f"{prefix}*"):
        beat_redis.delete(key)


def _stop(*processes):
    for process in processes:
        if process is None:
            continue
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.log.close()


def test_two_beats_send_each_tick_once_and_the_survivor_takes_over(tmp_path):
    token = uuid.uuid4().hex[:12]
    prefix, queue = f"test-beat-{token}", f"test-beat-queue-{token}"
    env = _env(prefix, queue)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    first = _start_beat(env, tmp_path / "a.log")
    second = None
    try:
        _wait_for(lambda: _acquired(tmp_path / "a.log"), 60, "the first beat's lock")
        second = _start_beat(env, tmp_path / "b.log")
        time.sleep(4)  # let the second beat start and wait on the lock (a process, not a rule)
        assert not _acquired(tmp_path / "b.log"), "the second beat must wait while the first holds the lock"

        start, sent_before = time.monotonic(), broker.llen(queue)
        time.sleep(6)
        sent = broker.llen(queue) - sent_before
        elapsed = time.monotonic() - start
        # One beat sends about one tick a second; two effective beats would send about two.
        assert 1 <= sent <= elapsed + 2, f"{sent} ticks in {elapsed:.1f}s"

        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        _wait_for(lambda: _acquired(tmp_path / "b.log"), 60, "the survivor's take-over")
        took_over = time.monotonic() - killed_at
        assert took_over < settings.CELERY_REDBEAT_LOCK_TIMEOUT + 30
        after = broker.llen(queue)
        _wait_for(lambda: broker.llen(queue) > after + 1, 10, "ticks from the survivor")
    finally:
        _stop(first, second)
        _cleanup(broker, queue, prefix)


def test_control_two_beats_without_the_lock_double_the_ticks(tmp_path):
    """The same measure with Celery's default scheduler: the count above would fail."""
    token = uuid.uuid4().hex[:12]
    prefix, queue = f"test-beat-{token}", f"test-beat-queue-{token}"
    env = _env(prefix, queue, BEAT_TEST_SCHEDULER="celery.beat:PersistentScheduler")
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    beats = []
    try:
        beats = [_start_beat(env, tmp_path / "a.log"), _start_beat(env, tmp_path / "b.log")]
        _wait_for(lambda: broker.llen(queue) >= 4, 60, "both beats ticking")
        start, sent_before = time.monotonic(), broker.llen(queue)
        time.sleep(6)
        sent = broker.llen(queue) - sent_before
        elapsed = time.monotonic() - start
        assert sent > elapsed + 2, f"{sent} ticks in {elapsed:.1f}s"
    finally:
        _stop(*beats)
        _cleanup(broker, queue, prefix)
