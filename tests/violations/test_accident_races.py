"""A case settles on one outcome when both parties act at once (docs/rules.md §5.7): B agreeing
while A asks the police, or B's double click. Real threads, each with its own PostgreSQL
connection, held by a barrier after their Python checks so that only the database decides; the
control does the same with a read-then-write and shows both actions "winning"."""

import threading

import pytest
from django.db import connection, transaction

from tests import races
from tests.races import race
from tests.violations.accident_helpers import driver, started_case
from violations.models import AccidentCase, InsurerNotice
from violations.services import ViolationError, accidents

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def joined(has):
    a, b = driver(has, "苏H1R001"), driver(has, "苏H2R002")
    case = started_case(a, has, a.vehicle, other_plate=b.vehicle.plate_number, other_licence_number=b.id_number)
    accidents.accident_join(case, user=b)
    case = accidents.accident_propose(case, user=a, situation="rear_end", fault_role="B")
    return case, a, b


def _hold_after_checks(monkeypatch, parties):
    barrier = races.barrier(parties)
    original = accidents.role_of

    def held(case, user):
        role = original(case, user)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return role

    monkeypatch.setattr(accidents, "role_of", held)


def _fresh(pk):
    return AccidentCase.objects.prefetch_related("parties").get(pk=pk)


def test_agreeing_and_asking_the_police_at_once_give_one_outcome(joined, monkeypatch):
    case, a, b = joined
    _hold_after_checks(monkeypatch, 2)

    def act(i):
        if i == 0:
            return accidents.accident_accept(_fresh(case.pk), user=b, version=case.proposal_version).status
        return accidents.accident_ask_clerk(_fresh(case.pk), user=a).status

    results, errors = race(act, 2, start_together=False).returned_and_raised
    assert len(errors) == 1 and isinstance(errors[0], ViolationError)
    final = AccidentCase.objects.get(pk=case.pk)
    assert final.status in ("agreed", "awaiting_clerk")
    assert [r for r in results if r] == [final.status]
    notices = InsurerNotice.objects.filter(case=case).count()
    assert notices == (2 if final.status == "agreed" else 0)
    assert (final.document_number is not None) == (final.status == "agreed")


def test_a_double_click_on_agree_makes_one_agreement(joined, monkeypatch):
    case, _a, b = joined
    threads = 6
    _hold_after_checks(monkeypatch, threads)

    def act(i):
        return accidents.accident_accept(_fresh(case.pk), user=b, version=case.proposal_version).document_number

    results, errors = race(act, threads, start_together=False).returned_and_raised
    assert len([r for r in results if r]) == 1 and len(errors) == threads - 1
    assert InsurerNotice.objects.filter(case=case).count() == 2
    assert AccidentCase.objects.get(pk=case.pk).history.filter(history_change_reason__contains="agreed").count() == 1


def test_control_a_read_then_write_lets_both_actions_win(joined):
    """Without the conditional UPDATE on the status, both threads see "joined" and both act."""
    case, _a, _b = joined
    barrier = races.barrier(2)

    def naive(i):
        with transaction.atomic():
            status = AccidentCase.objects.get(pk=case.pk).status
            barrier.wait()
            if status != "joined":
                raise ViolationError("moved on")
            new = "agreed" if i == 0 else "awaiting_clerk"
            AccidentCase.objects.filter(pk=case.pk).update(status=new)
            return new

    results, errors = race(naive, 2, start_together=False).returned_and_raised
    assert not errors and sorted(results) == ["agreed", "awaiting_clerk"]  # two outcomes: the race
    connection.close()
