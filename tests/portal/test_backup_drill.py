"""The backup drill of docs/operations.md ("Backups"), performed: dump the database with the
demo's records in every service, restore the dump into a new database, and compare every
table's row count and a checksum of the key tables' contents."""

import importlib
import os
import subprocess
import uuid

import psycopg2
import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

# Key tables: the records a citizen or clerk would miss first. The checksum is over every column
# of every row in primary-key order, so a restore that lost or changed any value differs.
KEY_TABLES = [
    "portal_user",
    "portal_vehicle",
    "portal_drivinglicence",
    "plates_platenumber",
    "exams_examplan",
    "violations_violation",
    "certificates_application",
    "notices_notice",
]


SEED_MIGRATIONS = [
    "portal.migrations.0002_seed_cities_holidays",
    "violations.migrations.0002_seed_codes",
    "violations.migrations.0003_seed_study",
    "certificates.migrations.0002_fee_table",
]


def _params():
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": str(settings["PORT"] or 5432),
        "user": settings["USER"] or "postgres",
        "password": settings["PASSWORD"] or "",
    }


def _connect(dbname):
    p = _params()
    return psycopg2.connect(dbname=dbname, host=p["host"], port=p["port"], user=p["user"], password=p["password"])


def _tables(cursor):
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def _census(dbname, key_tables):
    with _connect(dbname) as conn, conn.cursor() as cursor:
        counts = {}
        for table in _tables(cursor):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
        sums = {}
        for table in key_tables:
            cursor.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM \"{table}\" t")
            sums[table] = cursor.fetchone()[0]
    conn.close()
    return counts, sums


@pytest.mark.django_db(transaction=True)
def test_dump_restore_drill_keeps_every_row(tmp_path):
    # The reference data the migrations seed (an earlier transactional test may have flushed it:
    # cities, holidays, violation codes, study material, the fee table), then committed rows in
    # every service's tables. Each seed is idempotent.
    for module in SEED_MIGRATIONS:
        importlib.import_module(module).seed(django_apps, None)
    call_command("demo", verbosity=0)
    source = connection.settings_dict["NAME"]
    counts, sums = _census(source, KEY_TABLES)
    empty = [t for t in KEY_TABLES if not counts[t]]
    assert not empty, f"the demo should fill every key table: {empty}"

    p = _params()
    env = {**os.environ, "PGPASSWORD": p["password"]}
    where = ["-h", p["host"], "-p", p["port"], "-U", p["user"]]
    dump = tmp_path / "open122.dump"
    target = f"{source}_drill_{uuid.uuid4().hex[:8]}"
    subprocess.run(["pg_dump", *where, "-Fc", "-f", str(dump), source], env=env, check=True)
    subprocess.run(["createdb", *where, target], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", *where, "--no-owner", "--exit-on-error", "-d", target, str(dump)], env=env, check=True
        )
        restored_counts, restored_sums = _census(target, KEY_TABLES)
    finally:
        subprocess.run(["dropdb", *where, "--if-exists", target], env=env, check=True)  # only the drill's own

    assert restored_counts == counts
    assert restored_sums == sums
    assert sum(counts.values()) > 100  # a drill over real data, not empty tables
