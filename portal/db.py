"""Server-side prepared statements for the few hand-written statements on a rush's hot path.

psycopg2 sends every statement as text, so PostgreSQL parses and plans it on every call. For
the one-statement claims of a rush the plan cost more than the work: pg_stat_statements during
`make bench` showed 0.44 ms planning against 0.31 ms executing for a plate backup claim, and
3 ms planning for a notice's dispatch. A `Prepared` statement is PREPAREd once per database
connection and EXECUTEd after that, so each persistent connection plans it once.

Plans: every statement prepared here looks rows up by key, where one generic plan serves all
values, so the connections ask for it at once (plan_cache_mode in portal/settings.py) instead
of PostgreSQL's default of planning the first five executions for their values.

Needs a session-scoped connection (Django's own connections, or a pooler in session mode): a
transaction-mode pooler would run EXECUTE on a server connection that never saw the PREPARE.
There, DB_PREPARED_STATEMENTS=false runs the same statements as plain text (docs/deploy.md).
"""

import re
import weakref

from django.conf import settings

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class Prepared:
    """A statement written with %(name)s placeholders, prepared on first use per connection.

    `execute(cursor, params)` runs it with a dict of values (psycopg2 adapts them as it would
    for the plain statement); read the rows from the cursor as usual.
    """

    def __init__(self, name: str, sql: str):
        self.name = name
        self.keys: list[str] = []

        def number(match):
            key = match.group(1)
            if key not in self.keys:
                self.keys.append(key)
            return f"${self.keys.index(key) + 1}"

        self.sql = sql
        self._prepare = f"PREPARE {name} AS {_PLACEHOLDER.sub(number, sql)}"
        self._execute = f"EXECUTE {name} ({', '.join(['%s'] * len(self.keys))})" if self.keys else f"EXECUTE {name}"
        # The raw psycopg2 connections that know it: a reconnect starts a new server session.
        self._ready: weakref.WeakSet = weakref.WeakSet()

    def execute(self, cursor, params: dict) -> None:
        if not settings.DB_PREPARED_STATEMENTS:
            cursor.execute(self.sql, params)
            return
        raw = cursor.db.connection
        if raw not in self._ready:
            cursor.execute(self._prepare)
            self._ready.add(raw)
        cursor.execute(self._execute, [params[key] for key in self.keys])
