"""Issue 16 point 8: a full journey leaves no ID number and no SMS code in any log record, SQL
statement, Celery message or Redis key/value, and no ID number in an address; the database
column holds ciphertext and the clerk's reveal is audited.

Celery is not eager here: every task is published to the broker (this run's Redis database) and
then run from what was published, as a worker would. Logging is captured at DEBUG, SQL included
(with its parameters), into a file.
"""

import base64
import datetime
import json
import logging

import pytest
import redis
from celery import current_app
from celery.signals import before_task_publish
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client

from exams import services as exam_services
from exams.models import ExamRequest, LearnerRecord
from portal import identity
from portal.models import DrivingLicence, User, Vehicle
from tests import factories
from tests.conftest import last_code
from tests.exams.conftest import at, on

PASSWORD = "Qiche-Anquan-2026"
MOBILE = "13587650123"
D = datetime.date


@pytest.fixture
def published():
    """Celery not eager: each task message goes to the broker; run_all() then runs the messages
    published so far (args taken from the message itself) and returns them."""
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    messages, done = [], []

    def capture(sender=None, body=None, headers=None, **kwargs):
        messages.append({"task": sender, "body": body, "headers": headers})

    before_task_publish.connect(capture, weak=False)

    def run_all():
        while len(done) < len(messages):
            message = messages[len(done)]
            done.append(message)
            args, kwargs, _embed = message["body"]
            current_app.tasks[message["task"]].apply(args=args, kwargs=kwargs)
        return messages

    run_all.messages = messages
    yield run_all
    before_task_publish.disconnect(capture)
    current_app.conf.task_always_eager = eager
    _drop_our_messages(messages)


def _broker():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def _drop_our_messages(messages):
    """Remove from the broker's queues the messages this test published (and only those)."""
    ids = {m["headers"]["id"] for m in messages}
    client = _broker()
    for key in client.scan_iter():
        if client.type(key) == b"list":
            for raw in client.lrange(key, 0, -1):
                if _message_id(raw) in ids:
                    client.lrem(key, 0, raw)


def _message_id(raw: bytes):
    try:
        return json.loads(raw)["headers"]["id"]
    except (ValueError, KeyError, TypeError):
        return None


def redis_everything() -> str:
    """Every key and value of this run's Redis database (cache, sessions, broker queues), with
    Celery message bodies decoded from their base64 envelope."""
    client = _broker()
    out = []
    for key in client.scan_iter():
        kind = client.type(key)
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"list":
            values = client.lrange(key, 0, -1)
        elif kind == b"hash":
            values = [k + b"=" + v for k, v in client.hgetall(key).items()]
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        else:
            values = [repr(client.dump(key)).encode()]
        for value in values:
            out.append(key.decode(errors="replace") + "=" + value.decode(errors="replace"))
            try:
                envelope = json.loads(value)
                out.append(base64.b64decode(envelope["body"]).decode(errors="replace"))
            except (ValueError, KeyError, TypeError):
                pass
    return "\n".join(out)


@pytest.fixture
def debug_log(tmp_path):
    """Every log record at DEBUG, from every logger (SQL with parameters included), in a file."""
    path = tmp_path / "journey.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict) if not name.startswith("faker")
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    connection.force_debug_cursor = True  # django.db.backends logs each statement and its params
    yield path
    connection.force_debug_cursor = False
    for lg, level, disabled in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.disabled = disabled
    handler.close()


@pytest.mark.django_db
def test_a_full_journey_leaves_no_id_number_or_code_in_logs_redis_messages_or_addresses(
    has, published, debug_log, django_capture_on_commit_callbacks
):
    from tests.exams.conftest import ExamPlan, ExamSite, services

    id_number = factories.make_id_number(D(1999, 5, 6))
    factories.VehicleFactory(city=has, owner_id_number=id_number, owner_mobile=MOBILE, plate_number="苏H8J321")
    site = ExamSite.objects.create(
        city=has, name="城南考场", address="南京路 18 号", subjects=["1"], licence_classes=["C1"], daily_capacity=100
    )
    plan = ExamPlan.objects.create(
        city=has,
        site=site,
        subject="1",
        licence_classes=["C1"],
        date=D(2026, 7, 20),
        starts_at=datetime.time(8),
        ends_at=datetime.time(10),
        capacity=10,
    )
    with on(D(2026, 6, 19)):
        services.plan_publish(plan)
    codes, addresses = [], []
    citizen = Client(HTTP_HOST="has.localhost")

    def go(response):
        addresses.append(response.request["PATH_INFO"] + "?" + response.request.get("QUERY_STRING", ""))
        addresses.append(response.headers.get("Location", ""))
        return response

    with on(D(2026, 7, 1), 9):
        # Register: the code goes out through the SMS outbox task (published, then run).
        data = {"real_name": "旅程", "id_number": id_number, "mobile": MOBILE, "password1": PASSWORD}
        data["password2"] = PASSWORD
        go(citizen.post("/accounts/register/", {**data, "send_code": "1"}))
        published()
        codes.append(last_code(MOBILE))
        assert go(citizen.post("/accounts/register/", {**data, "code": codes[-1]})).status_code == 302
        user = User.objects.get(id_number_hash=identity.id_key(id_number))
        assert user.registry_verified  # the registry has this mobile for this person: verified at once
        assert go(citizen.post("/accounts/login/", {"username": id_number, "password": PASSWORD})).status_code == 302
        for url in ("/", "/my/vehicles/", "/my/licence/", "/exams/"):
            assert go(citizen.get(url)).status_code == 200
        # An exam action: the accepted application, then the candidate's own request.
        record = LearnerRecord.objects.create(
            city=has, id_number=id_number, name="旅程", licence_class="C1", application_accepted_at=at(D(2026, 6, 1))
        )
        assert go(citizen.post(f"/exams/plans/{plan.pk}/request/")).status_code == 302
        request = ExamRequest.objects.get(id_number_hash=identity.id_key(id_number))
        exam_services.request_withdraw(request, id_number=id_number)
        # A counter request notifies the candidate: the notice's SMS goes out through a task.
        with django_capture_on_commit_callbacks(execute=True):
            exam_services.request_create(plan=plan, id_number=id_number, channel=ExamRequest.Channel.COUNTER)
        published()
        # A clerk finds the person by ID number and reveals it once.
        clerk = Client(HTTP_HOST="has.localhost")
        clerk.force_login(factories.clerk("has"))
        found = go(clerk.post("/admin/exams/learnerrecord/search/", {"q": id_number.lower()}))
        assert found.status_code == 302 and identity.id_key(id_number) in found["Location"]
        page = go(clerk.get(found["Location"])).content.decode()
        assert identity.mask_id_number(id_number) in page and id_number not in page
        change = go(clerk.get(f"/admin/exams/learnerrecord/{record.pk}/change/")).content.decode()
        assert identity.mask_id_number(id_number) in change and id_number not in change
        shown = go(clerk.post(f"/admin/exams/learnerrecord/{record.pk}/reveal-id/?field=id_number"))
        assert id_number in shown.content.decode() and shown.headers["Cache-Control"].startswith("max-age=0")
    messages = published()

    secrets = [id_number, id_number.lower(), *codes]
    assert len(codes) == 1 and len(messages) >= 2
    log = debug_log.read_text(encoding="utf-8")
    assert "exams_examrequest" in log and "SELECT" in log, "the SQL of the journey should be in the log"
    dump = redis_everything()
    assert '"auth-user' in dump or "auth-user" in dump, "the cached user and sessions should be in Redis"
    assert any(m["task"] == "portal.tasks.send_verification_sms" for m in messages)
    assert any(m["task"] == "notices.tasks.deliver_new" for m in messages)
    for secret in secrets:
        assert secret not in log, f"{secret} found in the log: …{log[log.find(secret) - 400 : log.find(secret) + 50]}"
        assert secret not in dump, f"{secret} found in Redis"
        assert secret not in repr(messages), f"{secret} found in a Celery message"
        assert not any(secret in a for a in addresses), f"{secret} found in an address"
    assert MOBILE not in dump
    entry = LogEntry.objects.get(object_id=str(record.pk), content_type__model="learnerrecord")
    assert "Revealed" in entry.change_message and entry.user.role == User.Role.CLERK


def test_control_the_greps_find_what_is_there(db, published, debug_log):
    """The searches above can fail: a number logged, cached and sent in a task is found."""
    from django.core.cache import cache

    from portal.tasks import send_verification_sms

    number = factories.make_id_number()
    logging.getLogger("portal").debug("about %s", number)
    cache.set("control", {"id": number})
    send_verification_sms.delay(number)  # a wrong argument on purpose: what a leaking task would send
    assert number in debug_log.read_text(encoding="utf-8")
    assert number in redis_everything()  # the cache entry, and the broker's message decoded
    assert number in repr(published.messages)


def test_the_database_columns_hold_ciphertext_and_the_hash_only(db, has):
    """Every column that holds an ID number, history tables included, stores no plain number."""
    id_number = factories.make_id_number()
    user = factories.UserFactory(id_number=id_number)
    Vehicle.objects.create(
        city=has, vin="LSVAU2180N0000042", owner_id_number=id_number, owner_name="车主", plate_number="苏H0C042"
    )
    DrivingLicence.objects.create(
        city=has,
        id_number=id_number,
        file_number="320800000042",
        holder_name="车主",
        licence_class="C1",
        first_issued_on=D(2010, 1, 1),
        valid_from=D(2020, 1, 1),
        valid_until=D(2030, 1, 1),
        cycle_start=D(2026, 1, 1),
    )
    user.real_name = "改名"
    user.save()  # a second history row
    tables = _id_columns()
    assert len(tables) >= 17  # every ID number column of issue 16's count, history tables included
    with connection.cursor() as cursor:
        for table, column in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE %s', [f"%{id_number[:10]}%"])
            assert cursor.fetchone()[0] == 0, f"{table}.{column} holds a plain ID number"
        cursor.execute('SELECT id_number, id_number_hash FROM "portal_historicaluser" WHERE id = %s', [user.pk])
        rows = cursor.fetchall()
    assert len(rows) >= 2 and all(h == identity.id_key(id_number) and c.startswith("gAAAAA") for c, h in rows)
    assert User.objects.get(id_number_hash=identity.id_key(id_number)).id_number == id_number


def _id_columns():
    from django.apps import apps

    from portal.idfields import IdNumberField

    return [
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, IdNumberField)
    ]


def test_a_plain_filter_on_an_encrypted_column_is_refused_loudly(db):
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError, match="id_number_hash"):
        User.objects.filter(id_number="11010519491231002X").exists()


def test_every_admin_of_a_model_with_id_numbers_masks_them():
    from django.contrib import admin

    from portal.admin_idnumbers import IdNumberAdminMixin, id_fields

    holding = [model for model in admin.site._registry if id_fields(model)]
    assert len(holding) >= 15
    for model in holding:
        assert isinstance(admin.site._registry[model], IdNumberAdminMixin), model._meta.label


def test_an_editable_id_number_is_masked_and_kept_when_left_empty(db, has):
    """The province administrator's change form of a vehicle: the owner's number is not in the
    page; saving with the box empty keeps it, typing a new one replaces it."""
    from django.contrib.admin.models import LogEntry

    owner = factories.make_id_number()
    vehicle = factories.VehicleFactory(city=has, owner_id_number=owner)
    admin_user = factories.UserFactory(role=User.Role.PROVINCE_ADMIN, is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST="has.localhost")
    client.force_login(admin_user)
    url = f"/admin/portal/vehicle/{vehicle.pk}/change/"
    page = client.get(url).content.decode()
    assert owner not in page and identity.mask_id_number(owner) in page and "reveal-id" in page
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "owner_id_number"}
    data.update(city=has.pk, owner_id_number="", inspection_valid_until="2028-03-31", registered_on="2022-03-01")
    assert client.post(url, data).status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.owner_id_number == owner
    new = factories.make_id_number()
    client.post(url, {**data, "owner_id_number": new.lower()})
    vehicle.refresh_from_db()
    assert vehicle.owner_id_number == new and vehicle.owner_id_number_hash == identity.id_key(new)
    assert not LogEntry.objects.filter(change_message__startswith="Revealed").exists()
