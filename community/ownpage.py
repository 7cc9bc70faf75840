"""A signed-in member's own copy of a thread page, served before the rest of the middleware.

community.memberpage renders a thread page once for every member who sees it the same way and
fills in each viewer's own pieces per request. The fill and the middleware around it cost a
member several times what a page costs an anonymous visitor. A member who opens the same thread
again (a reload, the back button, a second tab) while nothing they would see has changed is
given the page they were given last time, from here.

The copy is kept per session and path, with a fingerprint of everything the page was filled
from, read before it was rendered:

- the session's contents (sign-in, session hash, the /manage/ answer);
- the member's row (name, points and so rank, password and so sign-in, active, time zone);
- the thread's row as the shared page reads it (its version moves with every change the page
  shows, votes included; slug, visibility, answer count, solution);
- the viewer's "I have this too", following, votes, flags, own comments and own hidden answers
  on the thread;
- the values of the cache keys behind the rest: the site version (names, rank badges, tags)
  and those other apps declare (community.hooks.viewer_fact_keys: the unread count, the roles
  version, the rank table's version, whether the member verified an email, the experts'
  version);
- the time zone cookie.

A request is served from the copy when the fingerprint read now equals the stored one: two
cache reads and one statement (the member, the thread and the viewer's state on it), with the
member checked as Django's get_user checks them. Any change makes the fingerprints differ and
the page is rendered as usual. Not kept at all for staff, for the asker (their escalation
notice counts down), for private threads, and when any notice shows under the question.

Served here only when the full stack would let the request through unchanged: a GET of a
thread's own URL (no query string, not htmx), a session cookie and no messages cookie, an
allowed Host, a session holding nothing but the sign-in and the /manage/ answer (no message
waiting, no sign-in half done) that Django's get_user accepts as it is (a session it would
rotate or flush goes the full way, where Django does so), an active member who is not staff.

The copy keeps the page with placeholders for the CSRF token and the CSP nonce, and the headers
the middleware inside this one gave it. Each response gets a fresh nonce (in the body and the
policy header) and a CSRF token masked from the visitor's CSRF cookie; a visitor without a
valid one is given a new cookie, as CsrfViewMiddleware would. A copy lives
MEMBER_PAGE_SECONDS, like the shared page: "3 minutes ago", and a brand-new member's rank
privileges that come with the account's age, may be that old.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, get_user_model
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import DEFAULT_CACHE_ALIAS, cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.urls import Resolver404, resolve
from django.utils.crypto import constant_time_compare

from accounts.timezones import COOKIE as TIME_ZONE_COOKIE
from community import memberpage
from community.hooks import viewer_fact_keys
from community.models import Answer, AnswerVote, Comment, Flag, Follow, MeToo, Thread
from community.pagecache import SITE_KEY
from config.prepared import fetch_one, from_row, select_list

HEADER = "X-Member-Page"
OWN_KEY = "memberpage:own:{digest}"
# Part of the fingerprint: change it when what the fingerprint holds changes.
FORMAT = 1
# The backends whose get_user is "the user of this primary key, if active" (accounts.backends).
BACKENDS = frozenset({"accounts.backends.ModelBackend", "accounts.backends.AuthenticationBackend"})
# What a session may hold for its page to be kept or served: the sign-in, the /manage/ answer
# (console.permissions), allauth's record of how and as whom the member signed in, and the
# session's own expiry (0: until the browser closes, without "Remember me"). A message waiting,
# a sign-in half done or anything unknown sends the request the full way.
SESSION_KEYS = frozenset({USER_SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY, "console_manage_link",
                          "account_authentication_methods", "account_authentication_methods_user",
                          "_session_expiry"})
_SESSION_KEY_RE = re.compile(r"[a-z0-9]{8,64}")
_CSRF_SECRET_RE = re.compile("[%s]{%d}" % (re.escape(CSRF_ALLOWED_CHARS), CSRF_SECRET_LENGTH))
_CSRF_BYTES, _NONCE_BYTES = memberpage.CSRF_PLACEHOLDER.encode(), memberpage.NONCE_PLACEHOLDER.encode()
_PLACEHOLDERS_RE = re.compile(f"({re.escape(memberpage.CSRF_PLACEHOLDER)}|{re.escape(memberpage.NONCE_PLACEHOLDER)})")


def _on() -> bool:
    return bool(settings.MEMBER_PAGE_CACHE and getattr(settings, "MEMBER_OWN_PAGE", True))


# --- The fingerprint ----------------------------------------------------------------------------


_statements: dict[str, str] = {}


def _facts_sql() -> str:
    """One statement: the member's row, the thread's row and the viewer's state on it."""
    sql = _statements.get(connection.vendor)
    if sql is None:
        if connection.vendor == "postgresql":
            agg = "string_agg(CAST({} AS TEXT), ',')"
        else:
            agg = "group_concat({})"
        answers, votes = Answer._meta.db_table, AnswerVote._meta.db_table
        comments, flags = Comment._meta.db_table, Flag._meta.db_table
        user_table = connection.ops.quote_name(get_user_model()._meta.db_table)
        sql = _statements[connection.vendor] = (
            f"SELECT {select_list(get_user_model(), 'u')}, {', '.join('t.' + name for name in memberpage._THREAD_FIELDS)}, "
            f"EXISTS(SELECT 1 FROM {MeToo._meta.db_table} m WHERE m.thread_id = t.id AND m.user_id = u.id), "
            f"EXISTS(SELECT 1 FROM {Follow._meta.db_table} f WHERE f.thread_id = t.id AND f.user_id = u.id AND f.is_active), "
            f"(SELECT {agg.format('v.answer_id')} FROM {votes} v JOIN {answers} a ON a.id = v.answer_id "
            "WHERE a.thread_id = t.id AND v.user_id = u.id), "
            f"(SELECT {agg.format('COALESCE(f.answer_id, 0)')} FROM {flags} f LEFT JOIN {answers} a ON a.id = f.answer_id "
            "WHERE f.user_id = u.id AND (f.thread_id = t.id OR a.thread_id = t.id)), "
            f"(SELECT {agg.format('c.id')} FROM {comments} c WHERE c.thread_id = t.id AND c.author_id = u.id AND NOT c.is_deleted), "
            f"(SELECT {agg.format('a.id')} FROM {answers} a "
            "WHERE a.thread_id = t.id AND a.author_id = u.id AND a.is_hidden AND NOT a.is_deleted) "
            f"FROM {user_table} u, {Thread._meta.db_table} t WHERE u.id = %s AND t.id = %s"
        )
    return sql


def _ids(value) -> tuple[int, ...]:
    return tuple(sorted(int(part) for part in str(value).split(","))) if value else ()


def _fingerprint(request: HttpRequest, session_data: dict, user_id: int, thread_id: int):
    """(the member as their row reads now, the fingerprint), or None when the member or the
    thread does not exist."""
    fact_keys = [SITE_KEY, *viewer_fact_keys(user_id)]
    facts = cache.get_many(fact_keys)
    row = fetch_one("peerdesk_own_page_facts", _facts_sql(), [user_id, thread_id])
    if row is None:
        return None
    user, n_user = from_row(get_user_model(), row)
    n_thread = len(memberpage._THREAD_FIELDS)
    thread_part = row[n_user : n_user + n_thread + 2]
    viewer_part = tuple(_ids(value) for value in row[n_user + n_thread + 2 :])
    parts = (
        FORMAT,
        request.path,
        request.COOKIES.get(TIME_ZONE_COOKIE, ""),
        sorted((key, repr(value)) for key, value in session_data.items()),
        tuple(getattr(user, field.attname) for field in user._meta.concrete_fields),
        thread_part,
        viewer_part,
        [(key, facts.get(key)) for key in fact_keys],
    )
    return user, hashlib.sha256(repr(parts).encode()).hexdigest()


def _entry_key(session_key: str, path: str) -> str:
    return OWN_KEY.format(digest=hashlib.sha256(f"{session_key}\n{path}".encode()).hexdigest())


# --- Keeping a copy -----------------------------------------------------------------------------


def prepare(request: HttpRequest, thread: Thread, user, notices: list) -> tuple[str, str] | None:
    """For memberpage.shared_page, before it fills the page: (the copy's cache key, the
    fingerprint) when this viewer's page may be kept, else None."""
    if not _on() or notices or thread.is_private or user.is_staff or thread.author_id == user.pk:
        return None
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None)
    if not session_key or session.modified or not SESSION_KEYS.issuperset(session.keys()):
        return None
    if request.COOKIES.get(settings.SESSION_COOKIE_NAME) != session_key:
        return None
    found = _fingerprint(request, dict(session.items()), user.pk, thread.pk)
    if found is None:
        return None
    return _entry_key(session_key, request.path), found[1]


def _store(request: HttpRequest, response, key: str, fingerprint: str, html: str) -> None:
    if response.status_code != 200 or response.streaming or response.has_header(HEADER):
        return
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return  # the fingerprint holds the session as it was read, no longer as it is
    nonce = getattr(request, "_csp_nonce", None)
    headers = []
    for name, value in response.items():
        if name.lower() in ("content-length", HEADER.lower()):
            continue
        if nonce:
            value = value.replace(nonce, memberpage.NONCE_PLACEHOLDER)
        headers.append((name, value))
    # Bytes, as the response sends them: no encoding of 150 KB per request.
    pieces = [piece.encode() for piece in _PLACEHOLDERS_RE.split(html)]
    entry = {"fingerprint": fingerprint, "user_id": request.user.pk, "pieces": pieces, "headers": headers}
    cache.set(key, entry, memberpage.MEMBER_PAGE_SECONDS)


# --- Serving it ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _thread_page(path_info: str) -> tuple[int, str] | None:
    """(pk, slug) when the path is a thread's own URL (the URLconf does not change while the
    process runs, so each path is resolved once)."""
    try:
        match = resolve(path_info)
    except Resolver404:
        return None
    if getattr(match.func, "member_own_page", False) and match.kwargs.get("slug"):
        return int(match.kwargs["pk"]), match.kwargs["slug"]
    return None


def _session_and_entry(session_key: str, entry_key: str) -> tuple[dict | None, dict | None]:
    """The session's contents and the copy, in one cache read where the sessions live in the
    same cache (cached_db, as deployed); else the copy, then the session from its store."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    session_cache_key = getattr(store, "cache_key", None)
    # (django.core.cache.cache is a proxy, never the backend object itself: compare aliases.)
    if session_cache_key is not None and settings.SESSION_CACHE_ALIAS == DEFAULT_CACHE_ALIAS:
        found = cache.get_many([session_cache_key, entry_key])
        return found.get(session_cache_key), found.get(entry_key)
    entry = cache.get(entry_key)
    return (store.load() if entry is not None else None), entry


def _serve(request: HttpRequest) -> HttpResponse | None:
    meta, cookies = request.META, request.COOKIES
    if meta.get("QUERY_STRING") or meta.get("HTTP_HX_REQUEST") or "\x00" in request.path:
        return None
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key or not _SESSION_KEY_RE.fullmatch(session_key):
        return None
    if cookies.get(CookieStorage.cookie_name):
        return None
    page = _thread_page(request.path_info)
    if page is None:
        return None
    request.get_host()  # an unknown Host is refused (400) here as anywhere
    session_data, entry = _session_and_entry(session_key, _entry_key(session_key, request.path))
    if not session_data or entry is None or not SESSION_KEYS.issuperset(session_data):
        return None
    backend, session_hash = session_data.get(BACKEND_SESSION_KEY), session_data.get(HASH_SESSION_KEY)
    if backend not in BACKENDS or not session_hash or str(entry["user_id"]) != str(session_data.get(USER_SESSION_KEY)):
        return None
    try:
        fingerprinted = _fingerprint(request, session_data, entry["user_id"], page[0])
    except DatabaseError:
        return None  # the full stack answers (and shows the error page if the database is down)
    if fingerprinted is None:
        return None
    user, fingerprint = fingerprinted
    # Django's get_user would sign this member in as the session stands (and its backends then
    # require an active member): the same checks, without its rotating or flushing.
    if not constant_time_compare(session_hash, user.get_session_auth_hash()) or not user.is_active or user.is_staff:
        return None
    if fingerprint != entry["fingerprint"]:
        return None
    return _response(request, entry)


_CSRF_CHARS_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def _random_csrf_string() -> str:
    """CSRF_SECRET_LENGTH characters of CSRF_ALLOWED_CHARS from the system's random source, as
    django.middleware.csrf makes them, without a secrets.choice() call per character: bytes
    below the largest multiple of the alphabet's size keep every character equally likely."""
    chars, size = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS)
    limit = 256 - 256 % size
    out: list[str] = []
    while len(out) < CSRF_SECRET_LENGTH:
        out.extend(chars[byte % size] for byte in os.urandom(2 * CSRF_SECRET_LENGTH) if byte < limit)
    return "".join(out[:CSRF_SECRET_LENGTH])


def _masked_token(secret: str) -> str:
    """The CSRF token for a form: the secret masked as django.middleware.csrf masks it (a new
    mask each time, so the page never carries the same token twice); CsrfViewMiddleware takes
    it back apart (tests/community/test_ownpage.py posts with one)."""
    mask = _random_csrf_string()
    chars, size, index = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS), _CSRF_CHARS_INDEX
    return mask + "".join(chars[(index[x] + index[y]) % size] for x, y in zip(secret, mask))


def _response(request: HttpRequest, entry: dict) -> HttpResponse:
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME) or ""
    new_secret = not _CSRF_SECRET_RE.fullmatch(secret)
    if new_secret:
        secret = _random_csrf_string()
    nonce = base64.b64encode(os.urandom(16)).decode("ascii")
    fill = {_CSRF_BYTES: _masked_token(secret).encode(), _NONCE_BYTES: nonce.encode()}
    response = HttpResponse(b"".join(fill.get(piece, piece) if i % 2 else piece for i, piece in enumerate(entry["pieces"])))
    for name, value in entry["headers"]:
        response[name] = value.replace(memberpage.NONCE_PLACEHOLDER, nonce)
    if new_secret:
        response.set_cookie(
            settings.CSRF_COOKIE_NAME, secret, max_age=settings.CSRF_COOKIE_AGE, domain=settings.CSRF_COOKIE_DOMAIN,
            path=settings.CSRF_COOKIE_PATH, secure=settings.CSRF_COOKIE_SECURE, httponly=settings.CSRF_COOKIE_HTTPONLY,
            samesite=settings.CSRF_COOKIE_SAMESITE,
        )
    response[HEADER] = "own"
    return response


class OwnPageMiddleware:
    """Serve a member's own copy of a thread page (see the module docstring), and keep the copy
    memberpage.shared_page offers. Sits right after the anonymous page cache, before CSP and
    sessions, so a copy's headers are those the full stack gave it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.method == "GET" and _on():
            response = _serve(request)
            if response is not None:
                return response
        response = self.get_response(request)
        offered = request.__dict__.pop("member_own_page", None)
        if offered is not None:
            _store(request, response, *offered)
        return response
