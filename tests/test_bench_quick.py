"""`make bench --quick` inside the test suite, so the harness and every bench module keep working."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_quick_bench_prints_a_baseline_and_a_result_for_every_module():
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # Its own database, named after this run's, so parallel runs on one server do not collide.
    base = urlsplit(env.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/open122")).path.strip("/") or "open122"
    database = f"{base}_benchq"
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bin" / "bench.py"),
            "--quick",
            "--database",
            database,
            "--port",
            str(_free_port()),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = completed.stdout
    assert completed.returncode == 0, output[-3000:] + completed.stderr[-3000:]
    baseline = re.search(r"^RESULT baseline (.*)$", output, re.M)
    assert baseline, output
    values = dict(pair.split("=", 1) for pair in baseline.group(1).split())
    assert float(values["hello_rps"]) > 0
    assert float(values["db_rps"]) > 0
    modules = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in ("__init__", "common"))
    for name in modules:
        assert re.search(rf"^RESULT {name} \S+=", output, re.M), f"no RESULT line for bench/{name}.py"
    # Each rush's ratio is to the baseline measured right before and right after it.
    for name in ("certificates", "exams", "inspection", "payments", "plates", "violations"):
        line = re.search(rf"^RESULT {name} (.*)$", output, re.M).group(1)
        fields = dict(pair.split("=", 1) for pair in line.split())
        assert float(fields["baseline_db_rps_before"]) > 0, line
        assert float(fields["baseline_db_rps_after"]) > 0, line


def test_baseline_views_are_not_routed_outside_the_bench(client):
    assert client.get("/__bench__/hello/", HTTP_HOST="localhost").status_code == 404
