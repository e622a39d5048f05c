"""Public information: announcements, articles, questions and answers, statistics."""

import pytest
from django.urls import reverse

import notices
from notices import own_kinds
from notices.models import Article, Notice, Question
from portal import hooks, identity
from tests.conftest import city_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def block_kind():
    from notices import catalogue

    return catalogue.register(
        "tests.block_released", title="Number block {block} released", body="Block {block} opens on {date}."
    )


def test_announcements_from_other_apps_appear_on_the_city_page_only(has, szv, has_client, block_kind):
    item = notices.announce(
        block_kind.code, city=has, context={"block": "苏H·D0", "date": "2026-12-01"}, dedupe_key="b1"
    )
    assert notices.announce(block_kind.code, city=has, context={}, dedupe_key="b1") is None
    page = has_client.get(reverse("notices:announcements")).content.decode()
    assert "Number block 苏H·D0 released" in page
    detail = has_client.get(reverse("notices:announcement", args=[item.pk])).content.decode()
    assert "Block 苏H·D0 opens on 2026-12-01." in detail
    other = city_client(has_client, "szv")
    assert other.get(reverse("notices:announcement", args=[item.pk])).status_code == 404


def test_public_pages_need_a_city_site(client, has):
    assert client.get(reverse("notices:announcements"), HTTP_HOST="localhost").status_code == 404


def test_only_published_articles_are_shown(has, has_client):
    shown = Article.objects.create(city=has, title="雨天行车注意事项", body="减速慢行", published=True)
    hidden = Article.objects.create(city=has, title="草稿文章", body="未完成", published=False)
    page = has_client.get(reverse("notices:articles")).content.decode()
    assert shown.title in page and hidden.title not in page
    assert has_client.get(reverse("notices:article", args=[hidden.pk])).status_code == 404


def test_clerk_writes_an_article_in_the_admin_for_their_city_only(has, szv, clerk_has, has_client):
    has_client.force_login(clerk_has)
    response = has_client.post(
        reverse("admin:notices_article_add"),
        {"city": szv.pk, "title": "t", "body": "b", "published_at_0": "2026-11-01", "published_at_1": "10:00"},
    )
    assert response.status_code == 200 and not Article.objects.exists()  # other city is not a valid choice
    response = has_client.post(
        reverse("admin:notices_article_add"),
        {
            "city": has.pk,
            "title": "冬季行车安全",
            "body": "注意防滑",
            "published": "on",
            "published_at_0": "2026-11-01",
            "published_at_1": "10:00",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.history.first().history_user == clerk_has


def test_asking_needs_login_and_valid_input(has_client, citizen):
    url = reverse("notices:question_ask")
    assert has_client.get(url).status_code == 302
    has_client.force_login(citizen)
    response = has_client.post(url, {"subject": "问", "body": "太短"})
    assert response.status_code == 200 and not Question.objects.exists()
    page = response.content.decode()
    assert 'value="问"' in page and "太短" in page


def test_question_answered_by_clerk_is_published_without_personal_data(has, citizen, clerk_has, has_client):
    has_client.force_login(citizen)
    has_client.post(
        reverse("notices:question_ask"),
        {
            "subject": "外地车辆检验",
            "body": f"我的手机{citizen.mobile}，身份证{citizen.id_number}，外地车能在淮安检验吗？",
        },
    )
    question = Question.objects.get()
    assert question.city == has and question.asker == citizen
    has_client.logout()
    assert has_client.get(reverse("notices:question", args=[question.pk])).status_code == 404  # not yet public

    has_client.force_login(clerk_has)
    change = reverse("admin:notices_question_change", args=[question.pk])
    assert citizen.id_number not in has_client.get(change).content.decode()
    response = has_client.post(change, {"public_body": "", "answer": "可以，小型汽车可在异地检验。", "published": "on"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answered_by == clerk_has and question.published
    assert question.history.first().history_user == clerk_has

    notice = Notice.objects.get(id_number_hash=identity.id_key(citizen.id_number))
    assert notice.kind == own_kinds.QUESTION_ANSWERED and notice.context["subject"] == "外地车辆检验"

    has_client.logout()
    listing = has_client.get(reverse("notices:questions")).content.decode()
    assert "外地车辆检验" in listing
    page = has_client.get(reverse("notices:question", args=[question.pk])).content.decode()
    assert "可以，小型汽车可在异地检验。" in page
    assert citizen.mobile not in page and citizen.id_number not in page and citizen.real_name not in page


def test_clerk_of_another_city_cannot_see_the_question(has, citizen, clerk_szv, client):
    question = Question.objects.create(city=has, asker=citizen, subject="s", body="b")
    szv_client = city_client(client, "szv")
    szv_client.force_login(clerk_szv)
    assert szv_client.get(reverse("admin:notices_question_change", args=[question.pk])).status_code in (302, 404)


def test_editing_an_answer_does_not_notify_again(has, citizen, clerk_has):
    from notices import services

    question = Question.objects.create(city=has, asker=citizen, subject="s", body="b")
    services.question_answer(question=question, clerk=clerk_has, answer="a", published=True)
    services.question_answer(question=question, clerk=clerk_has, answer="a, corrected", published=True)
    assert Notice.objects.filter(kind=own_kinds.QUESTION_ANSWERED).count() == 1


def test_statistics_page_renders_every_registered_section(has, has_client, monkeypatch):
    def provider(city):
        return [hooks.StatsSection(title="Numbers left per block", columns=["block", "left"], rows=[["D0", 123]])]

    monkeypatch.setattr(hooks, "stats_providers", [*hooks.stats_providers, provider])
    page = has_client.get(reverse("notices:statistics")).content.decode()
    assert "Numbers left per block" in page and "<td>123</td>" in page
    assert page.count('data-testid="stats-section"') >= 3  # plus notices' own two
