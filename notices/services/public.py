"""Public information written by citizens and clerks: questions and answers; calendar links."""

from django.db import transaction
from django.utils import timezone

from notices import own_kinds
from notices.models import CalendarFeed, Question


def question_ask(*, user, city, subject: str, body: str) -> Question:
    """A logged-in citizen asks their city's office a question (not public until answered
    and published by a clerk)."""
    with transaction.atomic():
        question = Question(city=city, asker=user, subject=subject.strip(), body=body.strip())
        question._history_user = user
        question.save()
        return question


def question_answer(*, question: Question, clerk, answer: str, published: bool, public_body: str = "", now=None):
    """A clerk answers (or edits the answer to) a question of their city.

    Steps: lock the question; store the answer, the published flag and the redacted public
    text; the first time an answer is given, stamp answered_at/by and notify the asker in their
    inbox (dedupe key per question, so editing the answer does not notify again).
    """
    from notices.services.delivery import notify

    now = now or timezone.now()
    with transaction.atomic():
        locked = Question.objects.select_for_update(no_key=True).get(pk=question.pk)
        first_answer = not locked.answer and bool(answer.strip())
        locked.answer = answer.strip()
        locked.published = published and bool(locked.answer)
        locked.public_body = public_body.strip()
        fields = ["answer", "published", "public_body"]
        if first_answer:
            locked.answered_at = now
            locked.answered_by = clerk
            fields += ["answered_at", "answered_by"]
        locked._history_user = clerk
        locked.save(update_fields=fields)
        if first_answer:
            notify(
                own_kinds.QUESTION_ANSWERED,
                id_number=locked.asker.id_number,
                city=locked.city,
                context={"subject": locked.subject, "question": locked.pk},
                dedupe_key=f"qa:{locked.pk}",
            )
    return locked


def calendar_feed_token(user) -> str:
    """The citizen's private calendar token, created on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed.token


def calendar_feed_regenerate(user) -> str:
    """Replace the citizen's calendar token: the old link stops working at once."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        if not created:
            feed.token = CalendarFeed._meta.get_field("token").get_default()  # a fresh token
            feed.created_at = timezone.now()
            feed.save(update_fields=["token", "created_at"])
    return feed.token
