"""Browser tests: Playwright for Python on Debian's /usr/bin/chromium against the live server.

Screenshots go to artifacts/screenshots/ (git-ignored); look at them after a run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PEERDESK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason=f"no browser at {CHROMIUM} (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Chromium must never reach out to the network here: the machine has none but loopback.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-US", "timezone_id": "UTC"}


@pytest.fixture(autouse=True)
def _default_rows(request):
    """Put back the rows the data migrations made (point rules, ranks, the default escalation
    policy): live_server tests are transactional, and the flush after each such test, here or
    elsewhere in the suite, deletes them. The migrations' own functions make them."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    import_module("kudos.migrations.0002_default_rules_and_ranks").create_defaults(apps, None)
    import_module("escalation.migrations.0002_default_policy").create_default_policy(apps, None)


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def new_page(browser):
    """Pages for further people in one test (each its own context: its own cookies)."""
    contexts = []

    def make():
        context = browser.new_context(viewport=DESKTOP, locale="en-US", timezone_id="UTC")
        contexts.append(context)
        p = context.new_page()
        p.set_default_timeout(10_000)
        return p

    yield make
    for context in contexts:
        context.close()


def shoot(page, name: str, *, phone: bool = True) -> None:
    """Save a full-page screenshot at desktop width and, by default, at phone width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)
    if phone:
        page.set_viewport_size(PHONE)
        # Let the page lay out and paint at the new width before a full-page capture.
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(size or DESKTOP)


def serious_accessibility_violations(browser, url: str, *, storage_state=None) -> list[dict]:
    """axe-core's serious and critical violations on the page at url.

    axe is injected as a script, which our Content-Security-Policy rightly forbids, so this
    opens the page in a context that bypasses CSP for the check only.
    """
    context = browser.new_context(bypass_csp=True, viewport=DESKTOP, storage_state=storage_state)
    try:
        p = context.new_page()
        p.goto(url)
        p.add_script_tag(path=str(AXE))
        result = p.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    finally:
        context.close()
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))


SIZES = {"desktop": DESKTOP, "phone": PHONE}


def signed_in_page(browser, base_url: str, user, size: str, password: str):
    """A new browser context at ``size`` ("desktop" or "phone") with ``user`` signed in:
    (context, page). Close the context when done."""
    context = browser.new_context(viewport=SIZES[size], locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base_url, user.email, password)
    return context, page
