import pytest
from django.urls import reverse

import notices
from notices import own_kinds, segments
from notices.models import Announcement
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_shows_the_sms_text_and_its_parts(has, has_client, citizen):
    notice = notices.notify(
        own_kinds.SCRAP_DECISION,
        id_number=citizen.id_number,
        city=has,
        context={"plate": "苏H12345", "scrap_date": "2027-06-30", "void_date": "2027-07-30"},
    )
    admin = UserFactory(is_staff=True, is_superuser=True)
    has_client.force_login(admin)
    page = has_client.get(reverse("admin:notices_notice_change", args=[notice.pk])).content.decode()
    from notices.services.delivery import sms_text

    text = sms_text(notice)
    assert text.startswith("【淮安市交警】苏H12345已达到强制报废标准")
    parts = segments.segments(text)
    assert parts == -(-len(text) // 67) and parts >= 2
    assert f"{len(text)} 个字符，UCS-2 编码，共 {parts} 条" in page
    assert citizen.id_number not in page


def test_clerk_posts_an_announcement_for_their_city(has, clerk_has, has_client):
    has_client.force_login(clerk_has)
    response = has_client.post(
        reverse("admin:notices_announcement_add"),
        {
            "city": has.pk,
            "title_text": "关于调整车管所办公时间的公告",
            "body_text": "自12月1日起……",
            "published": "on",
            "published_at_0": "2026-11-01",
            "published_at_1": "09:00",
        },
    )
    assert response.status_code == 302
    assert Announcement.objects.get().history.first().history_user == clerk_has
    has_client.logout()
    assert "关于调整车管所办公时间的公告" in has_client.get(reverse("notices:announcements")).content.decode()


def test_pages_and_notices_switch_to_english(citizen_client, citizen, has):
    notices.notify(own_kinds.POINTS_9, id_number=citizen.id_number, city=has, context={"points": 9})
    citizen_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = citizen_client.get(reverse("notices:inbox")).content.decode()
    assert "My notices" in page and "9 points on your driving licence" in page
