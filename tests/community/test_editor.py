"""The editor's server side: field checks while typing, the page's editor markup."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community.forms import QuestionForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(member):
    client = Client()
    client.force_login(member)
    return client


def check(client, field, form="question", **data):
    return client.post(reverse("community:validate_field"), {"field": field, "form": form, **data})


def test_a_short_title_gets_the_forms_own_error_and_a_fixed_one_none(client_in):
    response = check(client_in, "title", title="Too short")
    assert response.status_code == 200
    form = QuestionForm(data={"title": "Too short"})
    form.is_valid()
    assert form.errors["title"] == ["Write a title of at least 10 characters that sums up the question."]
    assert response.json() == {"field": "title", "errors": form.errors["title"]}
    assert check(client_in, "title", title="Calendar sync stops after update").json()["errors"] == []


def test_tags_are_checked_by_the_same_rules_as_on_submit(client_in):
    errors = check(client_in, "tags", tags="ok, bad tag!").json()["errors"]
    assert errors == ["Tag “bad-tag!” may use only letters, digits, dashes, dots, + and #."]
    assert check(client_in, "tags", tags="sync, ios").json()["errors"] == []


def test_an_answer_body_is_checked_as_an_answer(client_in):
    assert check(client_in, "body", form="answer", body="x").json()["errors"]
    assert check(client_in, "body", form="answer", body="Restart it").json()["errors"] == []


def test_only_form_fields_can_be_checked(client_in):
    assert check(client_in, "password").status_code == 400


def test_checking_needs_sign_in_and_a_post():
    assert Client().post(reverse("community:validate_field"), {"field": "title"}).status_code == 302
    client = Client()
    assert client.get(reverse("community:validate_field")).status_code == 302


def test_the_ask_page_has_the_editor_with_toolbar_and_upload_and_check_urls(client_in):
    html = client_in.get(reverse("community:ask")).content.decode()
    assert 'role="toolbar" aria-label="Formatting"' in html
    for action in ("bold", "italic", "code", "link", "list", "quote", "image"):
        assert f'data-md="{action}"' in html
    assert f'data-upload-url="{reverse("community:upload_image")}"' in html
    assert f'data-validate-url="{reverse("community:validate_field")}"' in html
    assert "peerdesk/editor.js" in html
    assert 'aria-describedby="title-errors title-help"' in html


def test_a_refused_question_keeps_the_text_and_marks_the_field(client_in, category):
    response = client_in.post(reverse("community:ask"), {"title": "short", "body": "My **draft**", "category": category.pk})
    html = response.content.decode()
    assert response.status_code == 400
    assert "My **draft**</textarea>" in html
    assert 'id="title-errors"><ul class="errorlist"' in html
