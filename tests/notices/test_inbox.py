import pytest
from django.urls import reverse

import notices
from notices import own_kinds
from notices.models import Notice

pytestmark = pytest.mark.django_db


def test_inbox_lists_own_notices_and_reading_clears_the_badge(citizen_client, citizen, other_citizen, has):
    mine = notices.notify(own_kinds.POINTS_9, id_number=citizen.id_number, city=has, context={"points": 9})
    notices.notify(own_kinds.POINTS_9, id_number=other_citizen.id_number, city=has, context={"points": 10})
    page = citizen_client.get(reverse("notices:inbox")).content.decode()
    assert page.count('data-testid="notice"') == 1
    assert 'data-testid="unread-count">1<' in page
    detail = citizen_client.get(reverse("notices:detail", args=[mine.pk])).content.decode()
    assert "9" in detail
    assert Notice.objects.get(pk=mine.pk).read_at is not None
    assert 'data-testid="unread-count"' not in citizen_client.get(reverse("notices:inbox")).content.decode()


def test_another_persons_notice_is_not_found(citizen_client, other_citizen, has):
    theirs = notices.notify(own_kinds.POINTS_9, id_number=other_citizen.id_number, city=has, context={"points": 9})
    assert citizen_client.get(reverse("notices:detail", args=[theirs.pk])).status_code == 404
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_inbox_needs_login(has_client):
    response = has_client.get(reverse("notices:inbox"))
    assert response.status_code == 302 and "/accounts/" in response["Location"]
