"""Notice pages run a fixed number of queries, however many notices, announcements, articles and
questions there are (tests/querycounts.py)."""

import pytest
from django.urls import reverse
from django.utils import timezone

import notices
from notices import catalogue, own_kinds
from notices.models import Article, Question
from tests.querycounts import page_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_city(has, citizen, clerk_has):
    """Four notices for the citizen, three announcements, three articles, three answered questions."""
    for points in (9, 10, 11, 12):
        notices.notify(own_kinds.POINTS_9, id_number=citizen.id_number, city=has, context={"points": points})
    kind = catalogue.register("tests.budget_block", title="Block {block} released", body="Block {block}.")
    for i in range(3):
        notices.announce(kind.code, city=has, context={"block": f"D{i}"}, dedupe_key=f"budget-{i}")
        Article.objects.create(city=has, title=f"文章{i}", body="正文", published=True)
        Question.objects.create(
            city=has,
            asker=citizen,
            subject=f"问题{i}",
            body="内容",
            answer="回答",
            answered_at=timezone.now(),
            answered_by=clerk_has,
            published=True,
        )
    return has


@pytest.mark.parametrize(
    "name", ["notices:inbox", "notices:preferences", "notices:announcements", "notices:articles", "notices:questions"]
)
def test_list_pages(citizen_client, busy_city, django_assert_max_num_queries, name):
    budget = {
        "notices:inbox": 6,
        "notices:preferences": 9,
        "notices:announcements": 6,
        "notices:articles": 6,
        "notices:questions": 7,
    }[name]
    with page_budget(django_assert_max_num_queries, name, budget):
        assert citizen_client.get(reverse(name)).status_code == 200
