import re

import pytest

from portal import sms
from tests import factories

PASSWORD = "Secret-pass-123"


@pytest.fixture(autouse=True)
def _clean_outbox_and_cache():
    from django.core.cache import cache

    from portal import processcache

    sms.outbox.clear()
    cache.clear()
    # Transactional tests flush and recreate cities with new ids; rolled-back rows stay cached.
    processcache.clear_all()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _sms_sent_at_once(monkeypatch):
    """A test's transaction never commits, so verification SMS are queued at once instead."""
    from portal import verification

    monkeypatch.setattr(verification, "_after_commit", lambda fn: fn())


@pytest.fixture
def sms_outbox():
    """The locmem SMS outbox: a list of {"mobile", "text", "message_id"}."""
    return sms.outbox


def last_code(mobile: str) -> str:
    """The newest verification code sent to a mobile (read from the locmem outbox)."""
    for message in reversed(sms.outbox):
        if message["mobile"] == mobile:
            return re.search(r"\d{6}", message["text"]).group(0)
    raise AssertionError(f"no SMS sent to {mobile}")


@pytest.fixture
def has(db):
    return factories.city("has")


@pytest.fixture
def szv(db):
    return factories.city("szv")


@pytest.fixture
def citizen(db):
    return factories.UserFactory()


@pytest.fixture
def other_citizen(db):
    return factories.UserFactory()


@pytest.fixture
def clerk_has(db):
    return factories.clerk("has")


@pytest.fixture
def clerk_szv(db):
    return factories.clerk("szv")


def city_client(client, code="has"):
    """Point a Django test client at a city's site."""
    client.defaults["HTTP_HOST"] = f"{code}.localhost"
    return client


@pytest.fixture
def has_client(client, has):
    return city_client(client, "has")


@pytest.fixture
def citizen_client(has_client, citizen):
    has_client.force_login(citizen)
    return has_client


# --- Browser tests: Debian's headless Chromium driven by Playwright (no browser download) ----
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    import shutil

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def site_url(live_server):
    """site_url("has", "/path") -> the live server's URL on that city's sub-domain."""
    port = live_server.url.rsplit(":", 1)[1]

    def make(code="has", path="/"):
        return f"http://{code}.localhost:{port}{path}"

    return make
