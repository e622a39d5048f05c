"""`make test`: find or start PostgreSQL and Redis, then run the whole pytest suite."""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from devservices import ROOT, services  # noqa: E402

NO_TESTS_COLLECTED = 5


def main(argv):
    with services() as env:
        env = {**os.environ, **env}
        result = subprocess.run([sys.executable, "-m", "pytest", *argv], env=env, cwd=ROOT)
    if result.returncode == NO_TESTS_COLLECTED:
        # pytest's "no tests ran" must not pass as green (a wrong path or a broken collection).
        print("make test: pytest collected no tests; failing.", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
