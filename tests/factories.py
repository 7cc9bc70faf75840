"""Factories shared by the whole suite. Domain objects beyond these are built with services."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from community.models import Category

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, primary=True, verified=True)


class StaffFactory(UserFactory):
    is_staff = True
    username = factory.Sequence(lambda n: f"staff{n}")


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True
    username = factory.Sequence(lambda n: f"admin{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    description = "Questions about this product area."


def bulk_answers(thread, *, total: int, like) -> None:
    """Grow ``thread`` to ``total`` answers in one INSERT, copying the answers in ``like`` (made
    through the services, so they carry real rendered bodies, edits and authors) round-robin.

    For size tests: the page must cost the same at 5 and at 100 answers, and building 100
    answers one service call at a time is what made those tests slow. The thread's counters and
    version move with the rows, as post_answer would move them.
    """
    from django.db.models import F

    from community.models import Answer, Thread

    missing = total - Answer.objects.filter(thread=thread).count()
    if missing <= 0:
        return
    Answer.objects.bulk_create(
        Answer(thread=thread, author_id=src.author_id, body=src.body, body_html=src.body_html,
               edited_at=src.edited_at, is_official=src.is_official)
        for src in (like[i % len(like)] for i in range(missing))
    )
    Thread.objects.filter(pk=thread.pk).update(answer_count=F("answer_count") + missing, version=F("version") + 1)
    thread.refresh_from_db()
