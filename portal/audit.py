"""The one audit mechanism: django-simple-history, for every state transition of a record.

A transition written by `Model.save()` gets its history row from simple-history's signal, with
`_history_user` (or the request's user, through its middleware) and `_change_reason`. A
transition written by a conditional `.filter(...).update()` (the row count decides who wins a
race) bypasses that signal: `record()` writes its row through simple-history's own
`bulk_history_create`, from the row as the update left it, so every history table has one writer
and one layout. Sweeps that change many rows at once use the same call on the rows they changed
(`record_rows`), or, where even loading them would be the cost, an INSERT ... SELECT in the
app's `sql.py` built from the history model's own fields (docs/architecture.md, "Audit").
"""

import copy
import functools

from django.contrib.auth import get_user_model
from django.utils import timezone

# A sweep's history rows are written this many at a time.
BATCH = 1000


@functools.cache
def _history(model):
    """The model's history manager. simple-history's descriptor builds a new manager class (from
    `from_queryset`, inspecting every method) on each `Model.history` access, 0.07 ms here;
    the class-level manager holds nothing but the historical model, so one per
    model serves every call and thread."""
    return model.history


def _user_or_none(user):
    """A saved user (or a user's id: no query to load it), or None (a sweep or a signed-out
    caller; simple-history then falls back to the request's user, if any)."""
    if isinstance(user, int):
        return get_user_model()(pk=user)
    return user if user is not None and getattr(user, "pk", None) else None


def record(obj, reason: str = "", user=None, *, created: bool = False, reload: bool = True, at=None) -> None:
    """One history row for `obj` after a change that bypassed save(): who did it and why.

    `reload=False` when `obj` already holds the row as written (it was built or locked and
    changed in Python); otherwise the row is read again first and `obj` takes its new values
    (unlike refresh_from_db, keeping the related objects it has loaded when their ids did not
    change), so the history row records the new state.
    """
    if reload:
        fresh = type(obj)._base_manager.get(pk=obj.pk)
        for field in type(obj)._meta.concrete_fields:
            setattr(obj, field.attname, getattr(fresh, field.attname))
    record_objects([obj], reason, user, created=created, at=at)


def record_objects(objs, reason: str = "", user=None, *, created: bool = False, at=None) -> None:
    """record(..., reload=False) for several objects of one model, in one INSERT: objects built
    or locked and changed in Python (a handling's decisions and records)."""
    if not objs:
        return
    _history(type(objs[0])).bulk_history_create(
        [_without_leftovers(obj) for obj in objs],
        update=not created,
        default_user=_user_or_none(user),
        default_change_reason=str(reason)[:100],
        default_date=at or timezone.now(),
    )


def insert(obj, reason: str = "", user=None, *, at=None, force_insert: bool = False) -> None:
    """Save a new object and write its "created" history row through record(): the same row
    simple-history's post_save signal would write, by the bulk path (cheaper than the signal's
    model save of the historical row). A constraint's IntegrityError comes from the save, before
    any history is written. `force_insert` for an object whose id was reserved beforehand (without
    it, save() would first try an UPDATE of that id)."""
    obj.skip_history_when_saving = True
    try:
        obj.save(force_insert=force_insert)
    finally:
        del obj.skip_history_when_saving
    record(obj, reason, user, created=True, reload=False, at=at)


def _without_leftovers(obj):
    """`obj`, or a copy of it without what an earlier save() left on it: simple-history would take
    an old _history_user or _change_reason over the ones given to record()."""
    if "_history_user" not in obj.__dict__ and "_change_reason" not in obj.__dict__:
        return obj
    row = copy.copy(obj)
    row.__dict__.pop("_history_user", None)
    row.__dict__.pop("_change_reason", None)
    return row


def record_rows(queryset, reason: str = "", user=None, *, at=None) -> int:
    """One history row per row of `queryset` (the rows a set-based update just changed), written
    in batches; returns how many."""
    model = queryset.model
    rows = list(queryset.order_by("pk"))
    _history(model).bulk_history_create(
        rows,
        batch_size=BATCH,
        update=True,
        default_user=_user_or_none(user),
        default_change_reason=str(reason)[:100],
        default_date=at or timezone.now(),
    )
    return len(rows)
