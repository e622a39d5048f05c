"""Helpers for the history walks (tests/*/test_history_walk.py): every state transition of a
citizen's or a clerk's record leaves exactly one django-simple-history row, with who did it
(portal.audit, docs/architecture.md "Audit")."""

from contextlib import contextmanager
from types import SimpleNamespace

from simple_history.models import HistoricalRecords


@contextmanager
def acting_as(user):
    """What simple_history.middleware.HistoryRequestMiddleware does for a page: the signed-in user
    is the history user of every save the request makes without naming one."""
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


def _rows(model, pk):
    return list(model.history.filter(**{model._meta.pk.attname: pk}).order_by("history_id"))


@contextmanager
def one_row(obj, user, *, kind="~"):
    """The block changes `obj` and leaves exactly one new history row for it, by `user` (None: the
    system, a sweep)."""
    model = type(obj)
    before = len(_rows(model, obj.pk))
    yield
    new = _rows(model, obj.pk)[before:]
    assert len(new) == 1, f"{model.__name__} {obj.pk}: {len(new)} history rows, expected 1"
    assert new[0].history_type == kind
    assert new[0].history_user_id == (user.pk if user is not None else None), (
        f"{model.__name__} {obj.pk}: history user {new[0].history_user_id}, expected {user and user.pk}"
    )


def created_row(model, pk, user):
    """The creation row of a record made inside the walk, by `user`."""
    rows = _rows(model, pk)
    assert [r.history_type for r in rows][:1] == ["+"]
    assert rows[0].history_user_id == (user.pk if user is not None else None)
    return rows[0]
