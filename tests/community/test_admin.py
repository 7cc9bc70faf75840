import pytest
from django.urls import reverse

from community import services
from community.models import CommunitySettings


@pytest.fixture
def thread_with_answer(member, other_member, category):
    thread = services.ask_question(author=member, category=category, title="Invoices show the wrong address", body="Why?")
    services.post_answer(author=other_member, thread=thread, body="Check the billing profile.")
    services.edit_question(user=member, thread=thread, title=thread.title, body="Why is that?")
    return thread


@pytest.mark.parametrize(
    "name", ["community_category", "community_thread", "community_answer", "community_communitysettings"]
)
def test_admin_lists_open_with_filters_and_search(client, admin_user, thread_with_answer, name):
    client.force_login(admin_user)
    response = client.get(reverse(f"admin:{name}_changelist") + "?q=address")
    assert response.status_code == 200


def test_admin_change_pages_open_and_show_revisions(client, admin_user, thread_with_answer):
    client.force_login(admin_user)
    html = client.get(reverse("admin:community_thread_change", args=[thread_with_answer.pk])).content.decode()
    assert "Why?" in html
    answer = thread_with_answer.answers.get()
    assert client.get(reverse("admin:community_answer_change", args=[answer.pk])).status_code == 200
    assert client.get(reverse("admin:community_category_add")).status_code == 200


def test_the_settings_row_exists_once_the_admin_opens_it(client, admin_user):
    client.force_login(admin_user)
    client.get(reverse("admin:community_communitysettings_changelist"))
    assert CommunitySettings.objects.get().flag_threshold == 3
