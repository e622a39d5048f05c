"""portal.db.Prepared: hand-written hot statements planned once per database connection."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.db import Prepared

pytestmark = pytest.mark.django_db(transaction=True)

_ADD = Prepared("test_portal_db_add", "SELECT %(a)s::int + %(b)s::int, %(a)s::int * 10")


def _run(params):
    with connection.cursor() as cursor:
        _ADD.execute(cursor, params)
        return cursor.fetchone()


def test_a_repeated_name_is_one_parameter_and_values_come_by_name():
    assert _ADD.keys == ["a", "b"]
    assert _run({"b": 2, "a": 40}) == (42, 400)


def test_prepared_once_per_connection_and_again_after_a_reconnect():
    with CaptureQueriesContext(connection) as first:
        _run({"a": 1, "b": 1})
        _run({"a": 2, "b": 2})
    prepares = [q for q in first.captured_queries if q["sql"].startswith("PREPARE")]
    assert len(prepares) <= 1  # another test may have prepared it on this connection already
    connection.close()  # a new server session knows no prepared statements
    with CaptureQueriesContext(connection) as second:
        assert _run({"a": 3, "b": 4}) == (7, 30)
        assert _run({"a": 5, "b": 5}) == (10, 50)
    assert [q["sql"].split()[0] for q in second.captured_queries] == ["PREPARE", "EXECUTE", "EXECUTE"]


def test_the_statement_survives_a_rolled_back_transaction():
    from django.db import transaction

    connection.close()
    with pytest.raises(RuntimeError), transaction.atomic():
        _run({"a": 1, "b": 1})  # prepared inside the transaction
        raise RuntimeError
    assert _run({"a": 2, "b": 3}) == (5, 20)


def test_switched_off_for_a_transaction_pooler_it_runs_as_plain_text(settings):
    settings.DB_PREPARED_STATEMENTS = False
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert _run({"a": 6, "b": 1}) == (7, 60)
    assert queries.captured_queries[0]["sql"].startswith("SELECT 6::int + 1::int")
