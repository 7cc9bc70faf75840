"""Start the test OpenID Connect provider (tests/accounts/oidc_provider) as its own process
and walk its sign-in pages over real HTTP, as a browser would."""

from __future__ import annotations

import json
import os
import re
import selectors
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[3]
CLIENT_ID = "peerdesk-test-client"
CLIENT_SECRET = "peerdesk-test-secret-0123456789"
CALLBACK = "http://testserver/accounts/oidc/company/login/callback/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    process: subprocess.Popen
    base_url: str

    @property
    def server_url(self) -> str:
        return f"{self.base_url}/o"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_provider(tmp_dir: Path, members: dict, *, callbacks=(CALLBACK,)) -> Provider:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
        "OIDC_PROVIDER_DB": str(tmp_dir / "oidc-provider.sqlite3"),
        "OIDC_PROVIDER_RSA_KEY": key_pem,
        "OIDC_PROVIDER_MEMBERS": json.dumps(members),
        "OIDC_PROVIDER_CLIENT": json.dumps(
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": list(callbacks)}
        ),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.accounts.oidc_provider.serve", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if not selector.select(timeout=60) or process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError(f"the test OIDC provider did not start: {process.stderr.read()[-2000:]}")
    started = Provider(process=process, base_url=f"http://127.0.0.1:{port}")
    # Warm it up: a fresh process's first requests load Django's URL conf and templates, which
    # on a busy machine can outlast allauth's 5-second timeout for the discovery document.
    for path in ("/o/.well-known/openid-configuration", "/o/.well-known/jwks.json", "/login/"):
        requests.get(started.base_url + path, timeout=60)
    return started


def sign_in_at_provider(authorize_url: str, *, username: str, password: str) -> str:
    """Sign in on the provider's own page and return where it sends the browser back to
    (our callback with the authorization code)."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)  # -> the provider's sign-in page
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    next_url = parse_qs(urlparse(page.url).query)["next"][0]
    signed_in = browser.post(
        page.url,
        data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": next_url},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    authorized = browser.get(urljoin(page.url, signed_in.headers["Location"]), allow_redirects=False, timeout=10)
    assert authorized.status_code == 302, authorized.text[:500]
    return authorized.headers["Location"]
