"""A mobile typed into a clerk's search box never reaches the address (and so no access log):
the box POSTs, and the change list's address carries the mobile encrypted (portal.admin_idnumbers).
"""

import datetime

from django.test import Client
from django.utils import timezone

from portal import identity
from portal.models import SmsCode, User
from tests import factories


def _admin():
    user = factories.UserFactory(role=User.Role.PROVINCE_ADMIN, is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST="has.localhost")
    client.force_login(user)
    return client


def _code(mobile):
    now = timezone.now()
    return SmsCode.objects.create(
        mobile=mobile, purpose="login", code_hash="x", expires_at=now + datetime.timedelta(minutes=5)
    )


def test_a_searched_mobile_is_found_and_is_nowhere_in_the_address(db, has):
    wanted, other = factories.UserFactory(), factories.UserFactory()
    client = _admin()
    typed = f"+86 {wanted.mobile[:3]}-{wanted.mobile[3:7]}-{wanted.mobile[7:]}"
    found = client.post("/admin/portal/user/search/", {"q": typed})
    assert found.status_code == 302
    location = found["Location"]
    assert wanted.mobile not in location and "sq=" in location and "q=" not in location.replace("sq=", "")
    page = client.get(location).content.decode()
    assert identity.mask_mobile(wanted.mobile) in page
    assert identity.mask_mobile(other.mobile) not in page
    assert wanted.mobile not in page  # neither in the results nor in the box or its links
    assert "所查手机号码的记录" in page  # the page says why the box is empty, in Chinese by default


def test_the_sms_trail_is_searched_by_mobile_the_same_way(db, has):
    mine, theirs = _code("13912345678"), _code("13987654321")
    client = _admin()
    found = client.post("/admin/portal/smscode/search/", {"q": "139 1234 5678"})
    assert found.status_code == 302 and "13912345678" not in found["Location"]
    page = client.get(found["Location"])
    shown = list(page.context["cl"].result_list)
    assert shown == [mine] and theirs not in shown
    assert "13912345678" not in page.content.decode()


def test_a_forged_or_cut_token_finds_nothing_and_does_not_fail(db, has):
    factories.UserFactory()
    client = _admin()
    location = client.post("/admin/portal/user/search/", {"q": "13912345678"})["Location"]
    for address in (location[:-5], "/admin/portal/user/?sq=not-a-token", "/admin/portal/user/?sq=%E4%BD%A0"):
        response = client.get(address)
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []


def test_other_words_still_search_in_the_address(db, has):
    person = factories.UserFactory(real_name="检索测试")
    client = _admin()
    found = client.post("/admin/portal/user/search/", {"q": "检索测试"})
    assert "q=" in found["Location"]
    assert list(client.get(found["Location"]).context["cl"].result_list) == [person]
