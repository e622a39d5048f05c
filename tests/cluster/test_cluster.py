"""The deployment on one machine (docs/operations.md "make cluster"), driven as a citizen and an
operator would: journeys through each service across both web instances, the health endpoints,
one effective beat, and reads from the streaming replica."""

import time
import uuid

import pytest

from tests.cluster.conftest import Visitor, forms_of, text

pytestmark = pytest.mark.cluster

CITIZEN = "13812340001"  # the demo's 张伟: two cars, a C1 licence, violations


def _wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_citizen_uses_every_service_across_both_web_instances(cluster):
    citizen = Visitor(cluster)
    assert citizen.get("/").status_code == 200
    citizen.login(CITIZEN)
    pages = {
        "/my/vehicles/": "苏H",  # the registry (portal)
        "/plates/": "",  # plate selection
        "/exams/": "",  # exam booking
        "/violations/": "",  # violations look-up
        "/certificates/": "",  # certificates by post
        "/notices/": "",  # notices inbox
    }
    for path, expect in pages.items():
        for _ in range(2):  # twice: the balancer alternates the instances
            response = citizen.get(path)
            assert response.status_code == 200, (path, response.status_code)
            assert "/accounts/login/" not in str(response.url)
            assert expect in response.text
    # A write through the balancer: the notice preferences form submitted as the page shows it.
    form = next(f for f in forms_of(citizen.get("/notices/preferences/").text) if f["method"] == "post")
    response = citizen.post(
        "/notices/preferences/", {k: v for k, v in form["data"].items() if k != "csrfmiddlewaretoken"}
    )
    assert response.status_code in (200, 302)
    # The same session was served by both gunicorn instances (sessions live in Redis and PostgreSQL).
    served = {u for u in citizen.upstreams if u}
    assert {f"127.0.0.1:{p}" for p in cluster.web_ports} <= served, served


def test_health_endpoints_see_database_redis_workers_and_beat(cluster):
    operator = Visitor(cluster, city="www")
    operator.client.headers["Host"] = f"localhost:{cluster.nginx_port}"
    assert operator.get("/healthz").json()["status"] == "ok"
    _wait(lambda: operator.get("/healthz/celery").status_code == 200, 90, "workers and a beat heartbeat")
    body = operator.get("/healthz/celery").json()
    assert len(body["workers"]) == 2
    # Two beats run; one holds the lock and sends, the other waits.
    holders = [n for n in ("beat1", "beat2") if "beat: Acquired lock" in cluster.log(n)]
    assert len(holders) == 1, holders


def _announce(cluster, title):
    cluster.psql(
        "INSERT INTO notices_announcement (city_id, kind, context, title_text, body_text, published, published_at) "
        f"SELECT id, '', '{{}}', '{title}', '', true, now() FROM portal_city WHERE code = 'has'"
    )


def _on_replica(cluster, title) -> bool:
    return title in cluster.psql(
        f"SELECT title_text FROM notices_announcement WHERE title_text = '{title}'", replica=True
    )


def test_public_pages_read_from_the_replica_until_it_lags_and_a_writer_reads_the_primary(cluster):
    anonymous, writer = Visitor(cluster), Visitor(cluster)
    first, second = f"replica-{uuid.uuid4().hex[:8]}", f"primary-{uuid.uuid4().hex[:8]}"
    _announce(cluster, first)
    _wait(lambda: _on_replica(cluster, first), 30, "streaming to the replica")
    cluster.psql("SELECT pg_wal_replay_pause()", replica=True)
    try:
        _announce(cluster, second)  # on the primary only: the replica does not replay it
        writer.get("/")
        writer.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})  # any write makes it sticky
        # Within the lag limit the public page comes from the replica: the second is not there yet.
        page = text(anonymous.get("/notices/announcements/"))
        assert first in page and second not in page
        # The visitor who has just written reads the primary and sees it.
        assert second in text(writer.get("/notices/announcements/"))
        # Beyond REPLICA_MAX_LAG_SECONDS (3 s here) everyone reads the primary.
        _wait(lambda: second in text(anonymous.get("/notices/announcements/")), 20, "the lagging replica left")
    finally:
        cluster.psql("SELECT pg_wal_replay_resume()", replica=True)


def test_with_the_replica_down_public_pages_read_the_primary(cluster):
    visitor = Visitor(cluster)
    title = f"down-{uuid.uuid4().hex[:8]}"
    cluster.pg_ctl("pg-replica", "-m", "fast", "stop")
    try:
        _announce(cluster, title)
        for _ in range(4):  # every worker process of both instances
            response = visitor.get("/notices/announcements/")
            assert response.status_code == 200 and title in text(response)
    finally:
        cluster.pg_ctl("pg-replica", "start")
