"""Faults on the running cluster (docs/operations.md "Faults"), each counting afterwards that
nothing was lost or doubled: a worker killed with SIGKILL in a delivery batch and in a sweep, a
database connection dropped in a payment notification and in a plate confirmation, Redis
restarted empty with messages queued, the primary restarted while requests run. Each test leaves the cluster running as it
found it (killed processes started again, the replica caught up).

SMS are counted in the workers' logs, where the console SMS backend prints each send with its
reference (the gateway's out_id): a real gateway sends a repeated reference once, so a message
"delivered exactly once" is one reference per outbox row or delivery, printed at least once.
"""

import json
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter

import httpx
import psycopg2
import pytest
import redis

from tests.cluster.conftest import Visitor
from tests.cluster.test_cluster import CITIZEN, _wait

pytestmark = pytest.mark.cluster

WORKERS = ("worker1", "worker2")
SMS_LINE = re.compile(r"\[SMS to \S+ ref=(\S*)\]")


def _shell(cluster, code: str) -> str:
    """Run Python in `manage.py shell` against the cluster, as an operator's script would."""
    from cluster import PY, ROOT

    done = subprocess.run(
        [PY, str(ROOT / "manage.py"), "shell", "-c", code],
        env=cluster.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _sms_refs(cluster) -> Counter:
    refs = Counter()
    for name in WORKERS:
        refs.update(SMS_LINE.findall(cluster.log(name)))
    return refs


def _connect(cluster):
    conn = psycopg2.connect(cluster.database_url)
    conn.autocommit = True
    return conn


def _one(conn, sql, params=()):
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _all(conn, sql, params=()):
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _ensure_running(cluster, *names):
    for name in names:
        if cluster.procs[name].poll() is not None:
            cluster.restart(name)


# Notices for the demo's active accounts: urgent (sent at any hour, not held by quiet hours) and
# mandatory (no preference switches them off), each with an SMS and an app push.
NOTIFY = """
from django.db import transaction
from notices import own_kinds as k, services
from portal.models import User
ids = list(User.objects.filter(is_active=True).exclude(mobile='').values_list('id_number', flat=True))
with transaction.atomic():
    for i in range({n}):
        services.notify(k.POINTS_12, id_number=ids[i % len(ids)], context={{'points': 12, 'cycle_start': '2026-01-01'}},
                        dedupe_key='{tag}:%d' % i)
print(len(ids))
"""

DELIVERIES = """
SELECT d.id, d.channel, d.status FROM notices_delivery d JOIN notices_notice n ON n.id = d.notice_id
WHERE n.dedupe_key LIKE %s
"""


def _check_delivered_once(cluster, conn, tag, notices):
    """Every notice of the tag has one SMS and one push, all sent; every SMS's reference was
    sent (at least once to the gateway, which sends a reference once). Returns the counts."""
    rows = _all(conn, DELIVERIES, (f"{tag}:%",))
    per_notice = _one(
        conn,
        "SELECT count(*), count(DISTINCT n.id) FROM notices_notice n WHERE n.dedupe_key LIKE %s",
        (f"{tag}:%",),
    )
    assert per_notice == (notices, notices)
    assert Counter(channel for _, channel, _ in rows) == {"sms": notices, "push": notices}
    assert {status for _, _, status in rows} == {"sent"}
    refs = _sms_refs(cluster)
    expected = {f"open122-delivery-{pk}" for pk, channel, _ in rows if channel == "sms"}
    sent = {ref: refs[ref] for ref in expected if refs[ref]}
    assert set(sent) == expected  # each delivery's reference reached the gateway
    return {"sms": len(expected), "gateway_calls": sum(sent.values()), "push": notices}


def test_a_worker_killed_in_a_delivery_batch_delivers_every_notice_once(cluster):
    conn = _connect(cluster)
    tag = f"fault-batch-{uuid.uuid4().hex[:8]}"
    n = 2000
    before = {name: len(SMS_LINE.findall(cluster.log(name))) for name in WORKERS}
    _shell(cluster, NOTIFY.format(n=n, tag=tag))
    # Wait until the batch is under way, then kill the worker that is sending it.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        sent, total = _one(
            conn,
            "SELECT count(*) FILTER (WHERE d.status = 'sent'), count(*) FROM notices_delivery d "
            "JOIN notices_notice n ON n.id = d.notice_id WHERE n.dedupe_key LIKE %s",
            (f"{tag}:%",),
        )
        if total and 0 < sent < total // 2:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the delivery batch was not seen under way")
    grown = {name: len(SMS_LINE.findall(cluster.log(name))) - before[name] for name in WORKERS}
    victim = max(grown, key=grown.get)
    cluster.kill(victim)
    sent_at_kill = _one(
        conn,
        "SELECT count(*) FILTER (WHERE d.status = 'sent'), count(*) FILTER (WHERE d.status = 'pending' "
        "AND d.attempts > 0) FROM notices_delivery d JOIN notices_notice n ON n.id = d.notice_id "
        "WHERE n.dedupe_key LIKE %s",
        (f"{tag}:%",),
    )
    cluster.restart(victim)
    assert sent_at_kill[0] < 2 * n  # killed in the middle of it
    # The killed worker's claims lapse (15 s here) and its message comes back (10 s): the
    # redelivered run or the minutely deliver_pending sends the rest.
    _wait(
        lambda: (
            _one(
                conn,
                DELIVERIES.replace("SELECT d.id, d.channel, d.status", "SELECT count(*)") + " AND d.status <> 'sent'",
                (f"{tag}:%",),
            )[0]
            == 0
        ),
        180,
        "every delivery sent after the kill",
    )
    counts = _check_delivered_once(cluster, conn, tag, n)
    print(
        f"\nFAULT worker-kill-batch victim={victim} sent_at_kill={sent_at_kill[0]} in_flight={sent_at_kill[1]} {counts}"
    )
    # Duplicate gateway calls (same reference) can only be what was in flight when it died.
    assert counts["gateway_calls"] - counts["sms"] <= sent_at_kill[1]
    conn.close()


SETUP_LICENCES = """
import datetime
from django.utils import timezone
from portal.models import DrivingLicence
src = DrivingLicence.objects.filter(status='normal').order_by('pk').first()
today = timezone.localdate()
for i in range({n}):
    src.pk = None
    src.file_number = '{tag}%03d' % i
    src.valid_until = today + datetime.timedelta(days=60)
    src.points = 9
    src.save()
print('ok')
"""


def test_a_worker_killed_in_a_sweep_leaves_its_effects_once(cluster):
    conn, locker = _connect(cluster), psycopg2.connect(cluster.database_url)
    tag = f"S{uuid.uuid4().hex[:6]}"
    n = 50
    _shell(cluster, SETUP_LICENCES.format(n=n, tag=tag))
    counts_sql = (
        "SELECT count(*) FILTER (WHERE n.dedupe_key LIKE 'lic:%%'), count(*) FILTER (WHERE n.dedupe_key LIKE 'pts:%%'),"
        " count(DISTINCT n.dedupe_key) FROM notices_notice n JOIN portal_drivinglicence l"
        " ON n.dedupe_key LIKE 'lic:' || l.id || ':%%' OR n.dedupe_key LIKE 'pts:' || l.id || ':%%'"
        " WHERE l.file_number LIKE %s"
    )
    # Hold the licences table: the sweep commits its vehicle rules, then blocks in the licence rule.
    with locker.cursor() as cursor:
        cursor.execute("LOCK TABLE portal_drivinglicence IN ACCESS EXCLUSIVE MODE")
    try:
        task_id = _shell(cluster, "from notices import tasks; print(tasks.sweep.delay().id)")
        blocked = "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE '%%INSERT INTO notices_notice%%'"
        _wait(lambda: _one(conn, blocked) is not None, 60, "the sweep blocked in its licence rule")
        victim = next(name for name in WORKERS if f"notices.tasks.sweep[{task_id}] received" in cluster.log(name))
        cluster.kill(victim)
    finally:
        locker.rollback()
        locker.close()
    cluster.restart(victim)
    # The message was not acknowledged (acks_late): it comes back and the sweep runs to its end.
    _wait(
        lambda: any(f"notices.tasks.sweep[{task_id}] succeeded" in cluster.log(name) for name in WORKERS),
        120,
        "the redelivered sweep",
    )
    licences, points, distinct = _one(conn, counts_sql, (f"{tag}%",))
    assert (licences, points) == (n, n) and distinct == 2 * n
    # A further run finds nothing left to do: every effect is there, once.
    again = json.loads(
        _shell(cluster, "import json; from notices import services; print(json.dumps(services.sweep()))")
    )
    assert again["licence"] == 0 and again["points"] == 0, again
    assert _one(conn, counts_sql, (f"{tag}%",)) == (n, n, 2 * n)
    print(f"\nFAULT worker-kill-sweep victim={victim} licence_notices={licences} points_notices={points}")
    conn.close()


# A fine to pay: one of the demo's unhandled camera records decided at the counter, paid
# through the sandbox gateway, whose signed notification the test then posts as the gateway does.
PAYMENT_SETUP = """
import json, secrets
from portal import identity
from portal.models import User
from portal.payments import gateways
from violations import services
from violations.models import Violation
decision = None
for v in Violation.objects.filter(status='unhandled').select_related('vehicle').order_by('pk'):
    owner = User.objects.filter(id_number_hash=identity.id_key(v.vehicle.owner_id_number)).first()
    if owner is None:
        continue
    try:
        (decision,) = services.violation_handle([v.pk], user=owner, online=False)
        break
    except services.ViolationError:
        continue
payment = services.decision_pay_start(decision, payer=owner)
gateway = gateways.get_gateway()
trade = gateway.trade(payment.order_number)
trade.update(status=gateways.TRADE_SUCCESS, trade_no='SBX' + secrets.token_hex(8).upper())
gateway._save(payment.order_number, trade)
print(json.dumps({'decision': decision.pk, 'order': payment.order_number, 'note': gateway.notification_for(payment.order_number)}))
"""


def _blocked_backend(conn, query_start: str):
    return _one(
        conn,
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
        "AND datname = 'open122' AND query LIKE %s",
        (query_start + "%",),
    )


def test_a_connection_dropped_in_a_payment_notification_settles_once_on_the_retry(cluster):
    conn, locker = _connect(cluster), psycopg2.connect(cluster.database_url)
    setup = json.loads(_shell(cluster, PAYMENT_SETUP))
    order, note = setup["order"], setup["note"]
    gateway = Visitor(cluster)
    answers = []
    # The payment row is held, so the notification's settling UPDATE waits; its backend is then
    # terminated as a failover or a network cut would, and the row let go.
    with locker.cursor() as cursor:
        cursor.execute("SELECT id FROM portal_payment WHERE order_number = %s FOR UPDATE", (order,))
    try:
        thread = threading.Thread(target=lambda: answers.append(gateway.client.post("/pay/notify/", data=note)))
        thread.start()
        _wait(lambda: _blocked_backend(conn, 'UPDATE "portal_payment"') is not None, 30, "the notification blocked")
        (pid,) = _blocked_backend(conn, 'UPDATE "portal_payment"')
        assert _one(conn, "SELECT pg_terminate_backend(%s)", (pid,)) == (True,)
    finally:
        locker.rollback()
        locker.close()
    thread.join(60)
    (first,) = answers
    # A clean failure: the gateway is told "fail" (or an error status), nothing was written.
    assert first.status_code in (400, 500, 502, 503) and "Traceback" not in first.text, first.text[:300]
    payment_sql = (
        "SELECT p.status, (SELECT count(*) FROM portal_historicalpayment h WHERE h.id = p.id AND "
        "h.history_change_reason = 'paid'), (SELECT count(*) FROM portal_refund r WHERE r.payment_id = p.id), "
        "(SELECT d.status FROM violations_decision d WHERE d.id = %s) FROM portal_payment p WHERE p.order_number = %s"
    )
    assert _one(conn, payment_sql, (setup["decision"], order)) == ("pending", 0, 0, "unpaid")
    # The gateway retries (and repeats itself): paid once, one history row, the fine paid, no refund.
    for _ in range(3):
        again = gateway.client.post("/pay/notify/", data=note)
        assert again.status_code == 200 and again.text == "success"
    assert _one(conn, payment_sql, (setup["decision"], order)) == ("paid", 1, 0, "paid")
    reference = _one(conn, "SELECT reference FROM portal_payment WHERE order_number = %s", (order,))[0]
    assert _one(conn, "SELECT count(*) FROM portal_payment WHERE reference = %s AND status = 'paid'", (reference,)) == (
        1,
    )
    print(f"\nFAULT pg-conn-dropped-payment first={first.status_code} retries=3 paid=1 history_paid=1 refunds=0")
    conn.close()


# A new car of a demo citizen (a copy of the demo's car awaiting plates), its plate selection
# opened with the start code; then a number drawn, claimed as backup and the confirm code sent.
PLATE_START = """
import json, uuid
from portal import identity
from portal.models import SmsCode, User, Vehicle
from plates import services
car = Vehicle.objects.filter(status='new', plate_number__isnull=True).order_by('pk').first()
owner = User.objects.get(id_number_hash=identity.id_key(car.owner_id_number))
car.pk = None
car.vin = 'LFAULT' + uuid.uuid4().hex[:11].upper()
car.conformity_cert_number = 'WAC' + uuid.uuid4().hex[:12].upper()
car.save()
selection = services.selection_start(citizen=owner, city=car.city, vin=car.vin, cert_number=car.conformity_cert_number)
services.send_start_code(selection)
sms = SmsCode.objects.filter(mobile=owner.mobile).latest('pk')
print(json.dumps({'selection': selection.pk, 'sms': sms.pk, 'mobile': owner.mobile, 'city': car.city.code, 'vehicle': car.pk}))
"""

PLATE_PICK = """
import json
from plates import services
from plates.models import Selection
from portal.models import SmsCode
selection = Selection.objects.select_related('citizen', 'city').get(pk={selection})
services.selection_verify(selection, '{code}')
batch = services.batch_draw(selection)
number = services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[0])
services.send_confirm_code(selection)
print(json.dumps({{'number': number.pk, 'sms': SmsCode.objects.filter(mobile=selection.citizen.mobile).latest('pk').pk}}))
"""


def _code(cluster, sms_pk) -> str:
    """The code of an outbox row, as the console backend printed it (the citizen's phone)."""
    line = re.compile(rf"ref=open122-sms-{sms_pk}\].*?(\d{{6}})")
    found = []
    _wait(lambda: found.extend(m.group(1) for n in WORKERS for m in line.finditer(cluster.log(n))) or found, 60, "SMS")
    return found[0]


def _blocked_by(conn, locker) -> tuple | None:
    return _one(
        conn, "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", (locker.get_backend_pid(),)
    )


def test_a_connection_dropped_in_a_plate_confirmation_holds_the_number_once_on_the_retry(cluster):
    conn, locker = _connect(cluster), psycopg2.connect(cluster.database_url)
    start = json.loads(_shell(cluster, PLATE_START))
    pick = json.loads(
        _shell(cluster, PLATE_PICK.format(selection=start["selection"], code=_code(cluster, start["sms"])))
    )
    citizen = Visitor(cluster, city=start["city"])
    citizen.login(start["mobile"])
    path = f"/plates/s/{start['selection']}/confirm/"
    assert citizen.get(path).status_code == 200
    data = {"action": "confirm", "number_id": pick["number"], "code": _code(cluster, pick["sms"])}
    answers = []
    with locker.cursor() as cursor:
        cursor.execute("SELECT id FROM plates_selection WHERE id = %s FOR UPDATE", (start["selection"],))
    try:
        thread = threading.Thread(target=lambda: answers.append(citizen.post(path, data)))
        thread.start()
        _wait(lambda: _blocked_by(conn, locker) is not None, 30, "the confirmation blocked")
        assert _one(conn, "SELECT pg_terminate_backend(%s)", _blocked_by(conn, locker)) == (True,)
    finally:
        locker.rollback()
        locker.close()
    thread.join(60)
    (first,) = answers
    assert first.status_code in (500, 502, 503) and "Traceback" not in first.text, first.status_code
    state_sql = (
        "SELECT (SELECT count(*) FROM plates_hold h WHERE h.vehicle_id = %s), "
        "(SELECT status FROM plates_selection WHERE id = %s), (SELECT status FROM plates_platenumber WHERE id = %s)"
    )
    before = _one(conn, state_sql, (start["vehicle"], start["selection"], pick["number"]))
    assert before[:2] == (0, "open"), before  # nothing half-written: no hold, the selection open
    # The code was used up before the transaction that failed: the retry asks for a new one
    # (after the resend wait) and confirms once.
    retry = citizen.post(path, data)
    assert (
        retry.status_code == 200
        and _one(conn, state_sql, (start["vehicle"], start["selection"], pick["number"]))[0] == 0
    )
    time.sleep(61)
    citizen.post(path, {"action": "send"})
    sms = _one(conn, "SELECT max(id) FROM portal_smscode WHERE mobile = %s", (start["mobile"],))[0]
    assert sms != pick["sms"]
    done = citizen.post(path, {**data, "code": _code(cluster, sms)})
    assert done.status_code == 302 and "/plates/" in done.headers["location"], done.status_code
    after = _one(conn, state_sql, (start["vehicle"], start["selection"], pick["number"]))
    assert after[0] == 1 and after[1] != "open" and after[2] == "held", after
    again = citizen.post(path, {**data, "code": _code(cluster, sms)})  # a double submit changes nothing
    assert again.status_code in (200, 302, 404)
    assert _one(conn, state_sql, (start["vehicle"], start["selection"], pick["number"])) == after
    print(f"\nFAULT pg-conn-dropped-plate-confirm first={first.status_code} before={before} after={after}")
    conn.close()


SEND_CODES = """
from portal import verification
print(','.join(str(verification.send_code('139%08d' % ({base} + i), 'login').pk) for i in range({m})))
"""


def test_redis_restarted_empty_with_messages_queued_loses_and_doubles_nothing(cluster):
    conn = _connect(cluster)
    citizen = Visitor(cluster)
    citizen.login(CITIZEN)
    tag, n, m = f"fault-redis-{uuid.uuid4().hex[:8]}", 40, 20
    base = int(uuid.uuid4().int % 10**7) * 10
    for name in WORKERS:
        cluster.kill(name, signal.SIGTERM)
    statuses = Counter()
    try:
        # Work queued while no worker runs: notices (their delivery kick waits in Redis) and
        # sign-in codes (one message per outbox row).
        _shell(cluster, NOTIFY.format(n=n, tag=tag))
        codes = [int(pk) for pk in _shell(cluster, SEND_CODES.format(base=base, m=m)).split(",")]
        cluster.kill("redis")
        # Pages while Redis is down: answered from PostgreSQL, never a 500.
        anonymous = Visitor(cluster)
        for _ in range(3):
            for visitor, path in ((anonymous, "/"), (anonymous, "/accounts/login/"), (citizen, "/notices/")):
                response = visitor.get(path)
                statuses[response.status_code] += 1
                assert "Traceback" not in response.text
        cluster.restart("redis")  # empty: no persistence, the queued messages are gone
        sentinel = redis.Redis(port=cluster.sentinel_port)
        _wait(lambda: not sentinel.sentinel_master("open122")["is_sdown"], 30, "Sentinel to see Redis back")
    finally:
        _ensure_running(cluster, "redis", *WORKERS)
    assert set(statuses) == {200}, statuses
    # The sweeps find what the lost messages carried: the SMS outbox every 15 s, notice
    # delivery every minute, with the schedule written back into the empty Redis (portal/beat.py).
    _wait(
        lambda: (
            _one(conn, "SELECT count(*) FROM portal_smscode WHERE id = ANY(%s) AND send_state = 'sent'", (codes,))[0]
            == m
        ),
        120,
        "the outbox sweep to send the queued codes",
    )
    _wait(
        lambda: (
            _one(
                conn,
                DELIVERIES.replace("SELECT d.id, d.channel, d.status", "SELECT count(*)") + " AND d.status = 'sent'",
                (f"{tag}:%",),
            )[0]
            == 2 * n
        ),
        150,
        "the delivery sweep to send the queued notices",
    )
    refs = _sms_refs(cluster)
    assert all(refs[f"open122-sms-{pk}"] == 1 for pk in codes), [refs[f"open122-sms-{pk}"] for pk in codes]
    counts = _check_delivered_once(cluster, conn, tag, n)
    assert counts["gateway_calls"] == counts["sms"]  # nothing was in flight: not even a repeat
    # Both beats survived; exactly one holds the new lock.
    assert all(cluster.procs[name].poll() is None for name in ("beat1", "beat2"))
    client = redis.Redis(port=cluster.redis_port)
    assert client.exists("open122:redbeat:lock")
    print(f"\nFAULT redis-restart-empty pages_during_outage={dict(statuses)} codes_sent={m} {counts}")
    conn.close()


def test_the_primary_restarted_while_requests_run(cluster):
    conn = _connect(cluster)
    citizen = Visitor(cluster)
    citizen.client.timeout = httpx.Timeout(30)
    citizen.login(CITIZEN)
    page = citizen.get("/notices/preferences/").text
    boxes = sorted(set(re.findall(r'name="((?:sms|push):[^"]+)"', page)))
    assert boxes
    user_id = _one(conn, "SELECT id FROM portal_user WHERE mobile = %s", (CITIZEN,))[0]
    results, stop = [], threading.Event()

    def traffic():
        i = 0
        while not stop.is_set():
            i += 1
            on = None
            started = time.monotonic()
            try:
                if i % 3 == 0:
                    on = (i // 3) % 2 == 0
                    response = citizen.post("/notices/preferences/", {b: "on" for b in boxes} if on else {})
                else:
                    response = citizen.get("/notices/")
                results.append((started, time.monotonic(), on, response.status_code, response.text))
            except httpx.HTTPError as exc:
                results.append((started, time.monotonic(), on, type(exc).__name__, ""))
            time.sleep(0.05)

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        time.sleep(2)
        restart_from = time.monotonic()
        cluster.pg_ctl("pg-primary", "-m", "fast", "restart")
        restart_to = time.monotonic()
        time.sleep(6)
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
    conn.close()
    conn = _connect(cluster)  # the test's own connection went with the restart too
    # Every request answered (no hang, no dropped connection); errors only around the restart,
    # as an error page, never a traceback.
    assert all(isinstance(status, int) for _, _, _, status, _ in results), [r[3] for r in results]
    for started, ended, _, status, body in results:
        assert "Traceback" not in body and "psycopg2" not in body
        if status not in (200, 302):
            assert status in (500, 502, 503), status
            assert started <= restart_to + 1 and ended >= restart_from - 1, (status, started - restart_from)
    after = [r for r in results if r[0] > restart_to + 1]
    assert len(after) >= 5 and all(status in (200, 302) for _, _, _, status, _ in after)
    # Each preferences write is whole or absent: all boxes on, or all off.
    prefs = {
        (f"{'sms' if channel == 0 else 'push'}:{kind}"): value
        for kind, sms, push in _all(
            conn, "SELECT kind, sms, push FROM notices_preference WHERE user_id = %s", (user_id,)
        )
        for channel, value in enumerate((sms, push))
    }
    # (mandatory kinds show their boxes but are never stored: no row)
    stored = [prefs[b] for b in boxes if b in prefs]
    values = set(stored)
    assert stored and len(values) == 1, values
    last_ok = [on for _, _, on, status, _ in results if on is not None and status == 302][-1]
    assert values == {last_ok} or any(on is not None and status != 302 for _, _, on, status, _ in results)
    # The replica lost its stream with the restart: wait until it has replayed the primary's WAL.
    lsn = _one(conn, "SELECT pg_current_wal_lsn()::text")[0]
    _wait(
        lambda: cluster.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn", replica=True).strip() == "t",
        60,
        "the replica to catch up",
    )
    errors = Counter(status for _, _, _, status, _ in results if status not in (200, 302))
    print(
        f"\nFAULT primary-restart requests={len(results)} errors={dict(errors)} restart_s={restart_to - restart_from:.1f}"
        f" ok_after={len(after)}"
    )
    conn.close()
