"""One real cluster (bin/cluster.py) for the tests in this folder: PostgreSQL primary and
streaming replica, Redis with Sentinel, two gunicorn behind nginx, two workers, two beats. It runs
in a folder and on ports of its own and is stopped and removed afterwards."""

import re
import shutil
import socket
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bin"))
from cluster import Cluster  # noqa: E402

pytestmark = pytest.mark.cluster


def _free_base() -> int:
    for base in range(8600, 9600, 100):
        ports = [base, base + 1, base + 2, base + 32, base + 33, base + 79, base + 80]
        free = True
        for port in ports:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    free = False
                    break
        if free:
            return base
    raise RuntimeError("no free port range for the test cluster")


@pytest.fixture(scope="session")
def cluster():
    # A folder of its own under /tmp (pytest's own tmp folder is private to root, and the cluster's
    # PostgreSQL runs as another user); removed afterwards, with everything the cluster wrote.
    directory = Path(tempfile.mkdtemp(prefix="open122-cluster-"))
    # Tight replica limits so that the tests see the router change its mind within seconds; a
    # killed worker's message handed out again after 10 s and its claimed notice deliveries
    # after 15 s (test_faults.py), instead of production's 2 and 5 minutes.
    c = Cluster(
        directory,
        _free_base(),
        extra_env={
            "REPLICA_MAX_LAG_SECONDS": "3",
            "REPLICA_STICKY_SECONDS": "20",
            "CELERY_VISIBILITY_TIMEOUT": "10",
            "NOTICES_CLAIM_LEASE_SECONDS": "15",
        },
    )
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(directory, ignore_errors=True)


class _Forms(HTMLParser):
    """The fields of the forms on a page, as a browser would submit them unchanged."""

    def __init__(self):
        super().__init__()
        self.forms, self._select = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "data": {}}
            )
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.forms[-1]["data"].setdefault(a["name"], a.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and ("selected" in a or self._select not in self.forms[-1]["data"]):
            self.forms[-1]["data"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Visitor:
    """A citizen's browser against the cluster's nginx, on a city's site."""

    def __init__(self, cluster, city="has"):
        self.host = f"{city}.localhost:{cluster.nginx_port}"
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{cluster.nginx_port}", headers={"Host": self.host}, timeout=30
        )
        self.upstreams = []

    def get(self, path, **kw):
        response = self.client.get(path, **kw)
        self.upstreams.append(response.headers.get("x-upstream"))
        return response

    def post(self, path, data, **kw):
        csrf = self.client.cookies.get("csrftoken")
        headers = {"Referer": f"http://{self.host}{path}", "Origin": f"http://{self.host}"}
        response = self.client.post(path, data={"csrfmiddlewaretoken": csrf, **data}, headers=headers, **kw)
        self.upstreams.append(response.headers.get("x-upstream"))
        return response

    def login(self, username, password="Demo-2026-pass"):
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, response.text[:500]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.text)
