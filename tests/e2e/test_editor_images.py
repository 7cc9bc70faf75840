"""Issue 15 in the browser: the editor (toolbar, images pasted, dropped and picked, preview
beside the text, drafts, errors that follow the fixes), images on private threads, times in the
viewer's zone, the phone header and dark mode; on desktop and phone, with axe in both colour
schemes. Screenshots go to artifacts/screenshots/ (the ones in docs/screenshots/ come from here).
"""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from community import services as community
from community.models import Image, Thread
from tests.e2e.conftest import AXE, DESKTOP, PHONE, shoot, sign_in
from tests.factories import DEFAULT_PASSWORD, CategoryFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ARGS = {"locale": "en-US", "timezone_id": "UTC"}


def _png(colour=(31, 95, 191), size=(320, 180)) -> str:
    from PIL import Image as PILImage, ImageDraw

    image = PILImage.new("RGB", size, (246, 247, 249))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size[0] - 10, 50), fill=colour)
    draw.rectangle((10, 70, size[0] // 2, 160), outline=colour, width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


# A file dispatched as a paste or a drop, the way a browser hands a screenshot to the page.
_SEND_FILE = """([kind, b64, name, type]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type}));
  const textarea = document.querySelector('#id_body');
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  const event = kind === 'paste'
    ? new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})
    : new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true});
  textarea.dispatchEvent(event);
}"""


def _context(browser, viewport, **extra):
    return browser.new_context(viewport=viewport, **{**ARGS, **extra})


def _signed_in_page(browser, base_url, user, viewport=DESKTOP, **extra):
    context = _context(browser, viewport, **extra)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base_url, user.email, DEFAULT_PASSWORD)
    return context, page


def _world():
    billing = CategoryFactory(name="Billing", slug="billing")
    CategoryFactory(name="Calendar", slug="calendar")
    asker, helper = UserFactory(display_name="Ada Asker"), UserFactory(display_name="Hana Helper")
    for n, title in enumerate(
        [
            "Invoice PDF shows the old company address",
            "Calendar sync stops after the 4.2 update",
            "Can I pay yearly instead of monthly?",
        ]
    ):
        thread = community.ask_question(author=asker, category=billing, title=title, body="Details of the problem.")
        if n == 0:
            answer = community.post_answer(author=helper, thread=thread, body="Open Settings, then Billing.")
            community.accept_answer(user=asker, answer=answer)
    return billing, asker, helper


def _axe(browser, url: str, *, storage_state=None, color_scheme="light", viewport=DESKTOP) -> list:
    context = browser.new_context(bypass_csp=True, viewport=viewport, storage_state=storage_state, color_scheme=color_scheme)
    try:
        p = context.new_page()
        p.goto(url)
        p.add_script_tag(path=str(AXE))
        result = p.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    finally:
        context.close()
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


# --- The editor and images ------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_member_formats_pastes_drops_and_picks_screenshots_and_posts(browser, live_server, viewport):
    billing, asker, _ = _world()
    context, page = _signed_in_page(browser, live_server.url, asker, viewport)
    wide = viewport == DESKTOP
    page.goto(f"{live_server.url}/ask/")
    page.get_by_label("Title").fill("The export dialog shows an error code")
    body = page.get_by_label("Details", exact=True)
    body.fill("It fails with")
    body.press("End")
    body.type(" ")
    # Toolbar: bold wraps a placeholder, then the member types over the selection.
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("error 42")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Bulleted list").click()
    page.keyboard.type("Open Reports")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Quote").click()
    page.keyboard.type("Export failed")
    page.keyboard.press("End")
    body.press("Enter")
    body.type("\nSee https://status.example.com for outages.\n\n```python\nexport(report, format='pdf')\n```\n")
    expect(body).to_have_value(re.compile(r"It fails with \*\*error 42\*\*\n\n- Open Reports\n> Export failed"))

    # A screenshot pasted, one dropped, one picked with the Image button.
    page.evaluate(_SEND_FILE, ["paste", _png(), "pasted screen.png", "image/png"])
    expect(body).to_have_value(re.compile(r"!\[pasted screen\]\(/images/[\w-]+/pasted-screen\.png\)"))
    page.evaluate(_SEND_FILE, ["drop", _png((20, 105, 45)), "dropped.png", "image/png"])
    expect(body).to_have_value(re.compile(r"!\[dropped\]\(/images/[\w-]+/dropped\.png\)"))
    page.locator(".editor-file").set_input_files(
        {"name": "picked.png", "mimeType": "image/png", "buffer": base64.b64decode(_png((180, 35, 24)))}
    )
    expect(body).to_have_value(re.compile(r"!\[picked\]\(/images/[\w-]+/picked\.png\)"))
    expect(page.locator(".editor-status")).to_contain_text("Image added.")

    # Refused files say why, and nothing is inserted.
    page.locator(".editor-file").set_input_files(
        {"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": b'<svg xmlns="http://www.w3.org/2000/svg"/>'}
    )
    expect(page.locator(".editor-status")).to_contain_text("SVG and other files are not accepted")
    page.evaluate(_SEND_FILE, ["paste", base64.b64encode(b"<html><script>alert(1)</script></html>").decode(), "cat.png", "image/png"])
    expect(page.locator(".editor-status")).to_contain_text("not a PNG, JPEG, GIF or WebP image")
    expect(body).not_to_have_value(re.compile("Uploading"))
    assert Image.objects.filter(uploader=asker, thread__isnull=True).count() == 3

    # The preview: bold, list, quote, a linked bare URL, highlighted code and the three images.
    preview = page.locator("#question-preview .prose")
    expect(preview.locator("strong")).to_have_text("error 42")
    expect(preview.locator("a[href='https://status.example.com']")).to_be_visible()
    expect(preview.locator("pre code span.nb, pre code span.n").first).to_be_visible()
    expect(preview.locator("img")).to_have_count(3)
    if wide:  # side by side on wide screens
        text_box, preview_box = body.bounding_box(), page.locator("#question-preview").bounding_box()
        assert preview_box["x"] > text_box["x"] + text_box["width"] - 1
        assert abs(preview_box["y"] - text_box["y"]) < 60
    page.get_by_label("Product area").select_option(label="Billing")
    if wide:
        shoot(page, "editor")
    else:
        page.screenshot(path=str(_artifacts() / "editor-phone-journey.png"), full_page=True)

    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The export dialog shows an error code")
    images = page.locator(".question .prose img")
    expect(images).to_have_count(3)
    # Every image is served and decodes (waited for: the page may show before they arrive).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.question .prose img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    thread = Thread.objects.get(title="The export dialog shows an error code")
    assert Image.objects.filter(thread=thread).count() == 3
    expect(page.locator(".question .prose pre code .nb").first).to_be_visible()
    if wide:
        shoot(page, "thread-images")
    else:
        page.screenshot(path=str(_artifacts() / "thread-images-phone-journey.png"), full_page=True)
    context.close()


def test_a_draft_survives_a_reload_and_a_refused_post_and_errors_follow_the_fixes(browser, live_server):
    billing, asker, _ = _world()
    context, page = _signed_in_page(browser, live_server.url, asker)
    page.goto(f"{live_server.url}/ask/")
    page.get_by_label("Title").fill("Short")
    page.get_by_label("Details", exact=True).fill("The sync log says: token expired.")
    page.wait_for_timeout(400)  # the draft is saved 300 ms after typing stops
    page.reload()
    expect(page.get_by_label("Title")).to_have_value("Short")
    expect(page.get_by_label("Details", exact=True)).to_have_value("The sync log says: token expired.")
    expect(page.locator(".editor-status")).to_contain_text("We restored your unsent draft.")

    # A refused post keeps the text; the errors follow the member's fixes without a new submit.
    page.get_by_role("button", name="Post your question").click()
    title_errors = page.locator("#title-errors")
    expect(title_errors).to_contain_text("at least 10 characters")
    expect(page.locator("#category-errors")).to_contain_text("This field is required")
    expect(page.get_by_label("Details", exact=True)).to_have_value("The sync log says: token expired.")
    page.get_by_label("Title").fill("Sync stops with a token error")
    expect(title_errors).to_be_empty()
    expect(page.get_by_label("Title")).not_to_have_attribute("aria-invalid", "true")
    page.get_by_label("Tags").fill("sync, bad tag!")
    page.get_by_label("Tags").blur()
    expect(page.locator("#tags-errors")).to_contain_text("may use only letters")
    page.get_by_label("Tags").fill("sync")
    expect(page.locator("#tags-errors")).to_be_empty()
    page.get_by_label("Product area").select_option(label="Billing")
    expect(page.locator("#category-errors")).to_be_empty()
    shoot(page, "ask-live-errors")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sync stops with a token error")

    # Posted: the draft is gone.
    page.goto(f"{live_server.url}/ask/")
    expect(page.get_by_label("Details", exact=True)).to_have_value("")
    expect(page.locator(".editor-status")).to_be_empty()

    # An answer draft too, restored after a reload and dropped once it is posted.
    thread = Thread.objects.get(title="Sync stops with a token error")
    # The asker's own answer box is folded under "Solved it yourself?"; a restored draft unfolds it.
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.get_by_text("Solved it yourself? Post the fix as an answer").click()
    page.get_by_role("textbox", name="Your answer").fill("Sign out and in again; that renews the token.")
    page.wait_for_timeout(400)
    page.reload()
    expect(page.get_by_role("textbox", name="Your answer")).to_have_value("Sign out and in again; that renews the token.")
    expect(page.locator("details.self-answer")).to_have_attribute("open", "")
    page.get_by_role("button", name="Post your answer").click()
    expect(page.locator(".answer .prose").last).to_contain_text("renews the token")
    page.reload()
    expect(page.locator("details.self-answer textarea[name=body]")).to_have_value("")
    expect(page.locator("details.self-answer")).not_to_have_attribute("open", "")
    context.close()


def test_a_private_threads_screenshot_never_reaches_another_member(browser, live_server):
    billing, asker, helper = _world()
    context, page = _signed_in_page(browser, live_server.url, asker)
    page.goto(f"{live_server.url}/ask/")
    page.get_by_label("Title").fill("My invoice shows a charge I don't know")
    page.get_by_label("Details", exact=True).fill("Here is the invoice:\n")
    page.evaluate(_SEND_FILE, ["paste", _png((180, 35, 24)), "invoice.png", "image/png"])
    expect(page.get_by_label("Details", exact=True)).to_have_value(re.compile(r"/images/[\w-]+/invoice\.png"))
    page.get_by_label("Product area").select_option(label="Billing")
    page.get_by_label("This question contains private account details").check()
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_text("Only you and our support staff can see this question")).to_be_visible()
    image = Image.objects.get(name="invoice.png")
    url = f"{live_server.url}{image.get_absolute_url()}"
    assert page.request.get(url).status == 200
    page.wait_for_function("() => document.querySelector('.question .prose img').naturalWidth > 0")

    other_context, other = _signed_in_page(browser, live_server.url, helper)
    response = other.request.get(url)
    assert response.status == 404
    assert not response.body().startswith(b"\x89PNG")
    anonymous = _context(browser, DESKTOP)
    assert anonymous.request.get(url).status == 404
    staff_context, staff_page = _signed_in_page(browser, live_server.url, StaffFactory())
    reply = staff_page.request.get(url)
    # Never kept by a shared cache, nor by the browser once the page is left.
    assert reply.status == 200
    assert {d.strip() for d in reply.headers["cache-control"].split(",")} >= {"private", "no-store"}
    assert "public" not in reply.headers["cache-control"]
    assert reply.headers["x-content-type-options"] == "nosniff"
    for c in (context, other_context, anonymous, staff_context):
        c.close()


# --- Time zones -------------------------------------------------------------------------------------


def test_times_are_shown_in_the_browsers_zone_and_saved_for_the_member(browser, live_server):
    billing, asker, _ = _world()
    old = Thread.objects.get(title="Can I pay yearly instead of monthly?")
    moment = timezone.now().replace(microsecond=0) - timedelta(days=3)
    Thread.objects.filter(pk=old.pk).update(created_at=moment, last_activity_at=moment)
    from zoneinfo import ZoneInfo

    tokyo = moment.astimezone(ZoneInfo("Asia/Tokyo"))
    expected = f"{tokyo.day} {tokyo.strftime('%b %Y, %H:%M')}"
    context = _context(browser, DESKTOP, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{live_server.url}{old.get_absolute_url()}")
    expect(page.locator(".question .post-meta time")).to_have_text(expected)  # reworded at once
    assert any(c["name"] == "tz" and c["value"] == "Asia/Tokyo" for c in context.cookies())
    page.reload()  # now rendered in Tokyo time by the server too
    expect(page.locator(".question .post-meta time")).to_have_attribute("title", re.compile(r"JST$"))
    # A fresh post says "just now".
    fresh = community.ask_question(author=asker, category=billing, title="Brand new question here", body="Hi")
    page.goto(f"{live_server.url}{fresh.get_absolute_url()}")
    expect(page.locator(".question .post-meta time")).to_have_text("just now")
    # A member without a zone gets the browser's saved to the profile on the first page.
    sign_in(page, live_server.url, asker.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/settings/profile/")
    asker.refresh_from_db()
    for _ in range(20):
        if asker.time_zone:
            break
        page.wait_for_timeout(100)
        asker.refresh_from_db()
    assert asker.time_zone == "Asia/Tokyo"
    page.reload()
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save").click()
    page.goto(f"{live_server.url}{old.get_absolute_url()}")
    paris = moment.astimezone(ZoneInfo("Europe/Paris"))
    expect(page.locator(".question .post-meta time")).to_have_text(f"{paris.day} {paris.strftime('%b %Y, %H:%M')}")
    context.close()


# --- The phone header, dark mode, axe --------------------------------------------------------------


def test_on_a_phone_the_header_is_one_row_with_one_ask_button_and_the_first_question_high(browser, live_server):
    _, asker, _ = _world()
    for who in (None, asker):
        if who is None:
            context = _context(browser, PHONE)
            page = context.new_page()
        else:
            context, page = _signed_in_page(browser, live_server.url, who, PHONE)
        page.goto(live_server.url + "/")
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 64, header
        ask = page.get_by_role("link", name=re.compile(r"^Ask"))
        expect(ask).to_have_count(1)
        expect(ask).to_be_visible()
        assert page.get_by_role("searchbox").count() == 0  # search lives in the menu
        first = page.locator(".thread-row").first.bounding_box()
        assert first["y"] < PHONE["height"] / 2, first
        name = "home-phone-header" if who is None else "home-phone-member"
        page.screenshot(path=str(_artifacts() / f"{name}.png"))
        page.get_by_text("Menu", exact=True).click()
        expect(page.get_by_role("searchbox", name="Find a question")).to_be_visible()
        expect(page.get_by_role("link", name="Sign in" if who is None else "Your profile")).to_be_visible()
        page.screenshot(path=str(_artifacts() / f"{name}-menu.png"))
        page.get_by_role("searchbox", name="Find a question").fill("invoice")
        page.get_by_role("searchbox", name="Find a question").press("Enter")
        expect(page).to_have_url(re.compile(r"/search/\?q=invoice"))
        context.close()


def _artifacts():
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def test_new_pages_pass_axe_in_light_and_dark_on_desktop_and_phone(browser, live_server):
    billing, asker, helper = _world()
    image = community.upload_image(user=asker, data=base64.b64decode(_png()), name="dialog.png")
    thread = community.ask_question(
        author=asker,
        category=billing,
        title="Export fails with a highlighted stack trace",
        body=(
            f"See https://status.example.com and the dialog:\n\n![the error dialog]({image.get_absolute_url()})\n\n"
            "```python\ndef export(report):\n    # a comment\n    return report.render(format='pdf', pages=[1, 2])\n```\n\n"
            "> quoted `inline code`"
        ),
    )
    answer = community.post_answer(author=helper, thread=thread, body="Try:\n\n```js\nconst x = await api.get('/x'); // ok\n```")
    community.accept_answer(user=asker, answer=answer)
    context, page = _signed_in_page(browser, live_server.url, asker)
    state = context.storage_state()
    context.close()
    context, page = _signed_in_page(browser, live_server.url, StaffFactory())
    staff_state = context.storage_state()
    context.close()
    pages = {
        "staff-queue": ("/staff/queue/", staff_state),
        "staff-report": ("/staff/report/", staff_state),
        "notifications": ("/notifications/", state),
        "home": ("/", None),
        "thread-code": (thread.get_absolute_url(), None),
        "ask-editor": ("/ask/", state),
        "thread-member": (thread.get_absolute_url(), state),
        "edit-profile": ("/settings/profile/", state),
        "edit-question": (f"/q/{thread.pk}/edit/", state),
    }
    problems = {}
    for scheme in ("light", "dark"):
        for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            for name, (path, storage) in pages.items():
                found = _axe(browser, f"{live_server.url}{path}", storage_state=storage, color_scheme=scheme, viewport=viewport)
                if found:
                    problems[f"{name} {scheme} {label}"] = found
    assert not problems, problems
    # Dark-mode photographs of the thread with code and an image, and of the editor.
    for name, (path, storage) in (("thread-dark", pages["thread-code"]), ("ask-dark", pages["ask-editor"])):
        dark = browser.new_context(viewport=DESKTOP, color_scheme="dark", storage_state=storage, **ARGS)
        p = dark.new_page()
        p.goto(f"{live_server.url}{path}")
        shoot(p, name)
        dark.close()
