"""What every page carries for browsers and search engines: an icon and a description."""

import pytest
from django.contrib.staticfiles import finders

from community import services

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_a_real_icon_file(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("peerdesk/favicon.ico")
    path = finders.find("peerdesk/favicon.ico")
    with open(path, "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # the ICO file signature


def test_every_page_links_its_icons_and_has_a_description(client):
    html = client.get("/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
    assert '<meta name="description" content="' in html


def test_a_public_thread_is_described_by_its_own_text_and_a_private_one_is_not(client, member, category):
    public = services.ask_question(author=member, category=category, title="Calendar sync stops after update",
                                   body="Since **4.2** my calendar no longer syncs with the phone.", tags="")
    html = client.get(public.get_absolute_url()).content.decode()
    assert '<meta name="description" content="Since 4.2 my calendar no longer syncs with the phone.' in html

    private = services.ask_question(author=member, category=category, title="Refund for my invoice",
                                    body="Card 4111 1111 1111 1111 was charged twice for the walrus plan.", tags="")
    client.force_login(member)
    html = client.get(private.get_absolute_url()).content.decode()
    assert "walrus plan" in html  # the asker sees the thread
    description = html.split('<meta name="description" content="', 1)[1].split('"', 1)[0]
    assert "walrus" not in description
