"""Local HTTP servers that speak a helpdesk's format: Zendesk's Tickets API (create, find by
external_id, show) and the generic JSON webhook Peerdesk documents."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

from tests.api.receiver import Receiver


class FakeZendesk:
    def __init__(self, *, email="agent@acme.test", token="zd-token", fail_creates: int = 0):
        self.tickets: dict[int, dict] = {}
        self.auth = "Basic " + base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self.fail_creates = fail_creates
        self.server = Receiver(respond=self.respond)

    @property
    def url(self) -> str:
        return self.server.url

    def respond(self, request):
        if request.headers.get("Authorization") != self.auth:
            return 401, b'{"error": "Couldn\'t authenticate you"}'
        parsed = urlparse(request.path)
        if request.method == "POST" and parsed.path == "/api/v2/tickets.json":
            ticket = json.loads(request.body)["ticket"]
            new_id = 1000 + len(self.tickets) + 1
            self.tickets[new_id] = {"id": new_id, "status": "new", **ticket}
            if self.fail_creates:  # created, but the answer is lost (a 502 from a proxy)
                self.fail_creates -= 1
                return 502, b"Bad gateway"
            return 201, json.dumps({"ticket": self.tickets[new_id]}).encode()
        if request.method == "GET" and parsed.path == "/api/v2/tickets.json":
            wanted = parse_qs(parsed.query).get("external_id", [""])[0]
            found = [t for t in self.tickets.values() if t.get("external_id") == wanted]
            return 200, json.dumps({"tickets": found, "count": len(found)}).encode()
        if request.method == "GET" and parsed.path.startswith("/api/v2/tickets/"):
            ticket = self.tickets.get(int(parsed.path.rsplit("/", 1)[1].removesuffix(".json")))
            return (200, json.dumps({"ticket": ticket}).encode()) if ticket else (404, b'{"error": "RecordNotFound"}')
        return 404, b"{}"

    def stop(self):
        self.server.stop()


class FakeJsonHelpdesk:
    def __init__(self, token="hd-secret"):
        self.tickets: dict[str, dict] = {}
        self.token = token
        self.server = Receiver(respond=self.respond)

    @property
    def url(self) -> str:
        return self.server.url + "/tickets"

    def respond(self, request):
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, b"{}"
        if request.method == "POST":
            key = request.headers["Idempotency-Key"]
            if key not in self.tickets:
                self.tickets[key] = {"id": f"HD-{len(self.tickets) + 1}", "status": "open", **json.loads(request.body)}
            t = self.tickets[key]
            return 201, json.dumps({"id": t["id"], "status": t["status"], "url": f"{self.server.url}/agent/{t['id']}",
                                    "customer_url": f"{self.server.url}/my/{t['id']}"}).encode()
        remote_id = request.path.rsplit("/", 1)[1]
        found = next((t for t in self.tickets.values() if t["id"] == remote_id), None)
        return (200, json.dumps({"status": found["status"]}).encode()) if found else (404, b"{}")

    def stop(self):
        self.server.stop()
