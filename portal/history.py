"""Audit rows (django-simple-history) for changes written by hand-written SQL.

A conditional UPDATE or an INSERT ... SELECT bypasses Model.save(), so simple_history's signal
never fires. Where such a statement sits on a rush's hot path, its history rows are written in
the same statement instead of by a second round trip: `insert_sql` is an INSERT that copies the
rows of a CTE (written with RETURNING *) into the model's history table, with the columns the
history table keeps (a model's excluded_fields are left out), as simple_history would.
"""

# Columns of a history table that are not copies of the model's own.
_OWN = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def columns(model) -> list[str]:
    """The model's columns that its history table copies, in the model's order."""
    kept = {f.column for f in model.history.model._meta.concrete_fields} - _OWN
    return [f.column for f in model._meta.concrete_fields if f.column in kept]


def insert_sql(model, source: str, history_type: str) -> str:
    """INSERT of one history row per row of `source` (a CTE or table with the model's columns).

    history_type is "+" (created), "~" (changed) or "-" (deleted). Placeholders: %(history_date)s
    and %(history_user)s (a user id or None), typed here because in INSERT ... SELECT PostgreSQL
    would otherwise take them for text.
    """
    if history_type not in ("+", "~", "-"):
        raise ValueError(history_type)
    cols = ", ".join(f'"{c}"' for c in columns(model))
    return (
        f'INSERT INTO "{model.history.model._meta.db_table}"'
        f" ({cols}, history_date, history_change_reason, history_type, history_user_id)"
        f" SELECT {cols}, CAST(%(history_date)s AS timestamptz), NULL, '{history_type}',"
        f" CAST(%(history_user)s AS bigint) FROM {source}"
    )
