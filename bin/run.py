"""`make run`: services, migrations, demo data once, then web + Celery worker + beat.

One Ctrl-C stops everything (and any embedded PostgreSQL/Redis this started).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from devservices import ROOT, services  # noqa: E402

PY = sys.executable
PORT = os.environ.get("PORT", "8000")


def main():
    with services() as env:
        env = {**os.environ, **env}
        manage = [PY, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True)
        subprocess.run([*manage, "demo", "--once"], env=env, check=True)
        procs = [
            subprocess.Popen([*manage, "runserver", f"0.0.0.0:{PORT}"], env=env),
            subprocess.Popen([PY, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=2"], env=env, cwd=ROOT),
            subprocess.Popen(
                [PY, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO", "--schedule", str(ROOT / "var" / "celerybeat-schedule")],
                env=env,
                cwd=ROOT,
            ),
        ]
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    (ROOT / "var").mkdir(exist_ok=True)
    main()
