"""Hand-written SQL of exam booking that the ORM cannot say set-based (docs/architecture.md)."""


def history_rows(cursor, model, where: str, params: list, reason: str, now, user=None) -> None:
    """The history rows (django-simple-history's table) of every row the draw just changed.

    The draw (allocation.plans_allocate) ranks and updates every request of a plan in one
    statement; loading thousands of rows into Python only to write them back as history would
    cost more than the draw itself, so their audit rows are copied in one INSERT ... SELECT.
    The columns are the history model's own tracked fields, so the rows are those simple-history
    would write (portal.audit is the one writer for everything that is not set-based).
    """
    history = model.history.model
    columns = ", ".join(f'"{f.column}"' for f in history.tracked_fields)
    cursor.execute(
        f'INSERT INTO "{history._meta.db_table}"'
        f" ({columns}, history_date, history_type, history_change_reason, history_user_id)"
        f' SELECT {columns}, %s, %s, %s, %s FROM "{model._meta.db_table}" WHERE {where}',
        [now, "~", str(reason)[:100], getattr(user, "pk", None), *params],
    )
