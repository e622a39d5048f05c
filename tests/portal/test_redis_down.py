"""With Redis down (the cache pointed at a closed port) pages render, login works from the
database, and what needs Redis says it is unavailable instead of a 500."""

import socket

import pytest

from tests import factories
from tests.conftest import PASSWORD


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "KEY_PREFIX": "down",
        }
    }
    from django.core.cache import cache

    assert cache.get("anything", "miss") == "miss"  # the cache answers a miss, not an error


def test_login_and_logged_in_pages_work_from_the_database(has_client, citizen, redis_down):
    response = has_client.post("/accounts/login/", {"username": citizen.mobile, "password": PASSWORD})
    assert response.status_code == 302
    for url in ("/", "/my/vehicles/", "/my/licence/", "/accounts/verify/"):
        assert has_client.get(url).status_code == 200, url
    # A wrong password is still refused (the throttle cannot count without Redis: it lets it be).
    has_client.logout()
    response = has_client.post("/accounts/login/", {"username": citizen.mobile, "password": "wrong-password"})
    assert response.status_code == 200 and "密码错误" in response.content.decode()


def test_the_admin_works(client, has, redis_down):
    clerk = factories.clerk("has")
    client.defaults["HTTP_HOST"] = "has.localhost"
    response = client.post("/admin/login/?next=/admin/", {"username": clerk.id_number, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/portal/vehicle/").status_code == 200


@pytest.mark.parametrize("url", ["/accounts/register/", "/accounts/password-reset/", "/accounts/login/sms/"])
def test_sms_sends_say_the_service_is_unavailable(has_client, citizen, redis_down, sms_outbox, url):
    response = has_client.post(url, {"mobile": citizen.mobile, "send_code": "1"})
    assert response.status_code == 200
    assert "该服务暂时不可用" in response.content.decode()
    assert sms_outbox == []


def test_code_submissions_say_the_service_is_unavailable(has_client, citizen, redis_down):
    response = has_client.post("/accounts/login/sms/", {"mobile": citizen.mobile, "code": "123456"})
    assert response.status_code == 200 and "该服务暂时不可用" in response.content.decode()
