"""`make run`: services, migrations, demo data once, then web + Celery worker + beat.

One Ctrl-C stops everything (and any embedded PostgreSQL/Redis this started).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from devservices import ROOT, services  # noqa: E402

PY = sys.executable
PORT = os.environ.get("PORT", "8000")
DOMAIN = os.environ.get("PORTAL_DOMAIN", "localhost")


def _stop_on_sigterm(signum, frame):
    # `kill` or a supervisor's stop behaves like Ctrl-C: children are stopped, not orphaned.
    raise KeyboardInterrupt


def _die_with_parent():
    """Linux: a child gets SIGTERM if run.py itself is killed hard (no orphaned servers)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wait_for_port(port: int, procs, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.3)
    return False


def _banner(manage, env):
    base = f"http://{DOMAIN}:{PORT}"
    print("\n" + "=" * 78, flush=True)
    print("open122 is running. Open:", flush=True)
    print(f"  Huai'an city site     http://has.{DOMAIN}:{PORT}/", flush=True)
    print(f"  Suzhou city site      http://szv.{DOMAIN}:{PORT}/", flush=True)
    print(f"  Province page         {base}/  (lists every city)", flush=True)
    print(f"  Admin (clerks)        http://has.{DOMAIN}:{PORT}/admin/  (province admin: any site)", flush=True)
    print("  SMS codes are printed in this console ([SMS to ...]).", flush=True)
    subprocess.run([*manage, "demo", "--logins"], env=env, check=False)
    print("Ctrl-C stops the web server, the Celery worker and beat.", flush=True)
    print("=" * 78 + "\n", flush=True)


def main():
    with services() as env:
        env = {**os.environ, **env}
        manage = [PY, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True)
        subprocess.run([*manage, "demo", "--once"], env=env, check=True)
        procs = [
            subprocess.Popen([*manage, "runserver", f"0.0.0.0:{PORT}"], env=env, preexec_fn=_die_with_parent),
            subprocess.Popen(
                [PY, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO", "--concurrency=2"],
                env=env,
                cwd=ROOT,
                preexec_fn=_die_with_parent,
            ),
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "beat",
                    "--loglevel=INFO",
                ],
                env=env,
                cwd=ROOT,
                preexec_fn=_die_with_parent,
            ),
        ]
        try:
            if _wait_for_port(int(PORT), procs):
                _banner(manage, env)
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
            print("A process stopped; stopping the others.", flush=True)
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
        return 0


if __name__ == "__main__":
    (ROOT / "var").mkdir(exist_ok=True)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
