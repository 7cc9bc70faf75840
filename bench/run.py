"""The Peerdesk benchmark: one command, one table (see docs/benchmarks.md).

    .venv/bin/python bench/run.py --seed             # seed 10,000 questions, then measure
    .venv/bin/python bench/run.py --seed --scale 100000
    .venv/bin/python bench/run.py                    # measure what is already seeded

It uses its own PostgreSQL database and Redis database (BENCH_DATABASE_URL, BENCH_REDIS_URL;
defaults below), never the site's. Serves the site with gunicorn (2 workers, DEBUG off,
persistent connections, Redis cache) on 127.0.0.1:BENCH_PORT and measures with wrk (-t2 -c8,
15 s, no cookies for anonymous pages) the bare "ok" view (bench/urls.py), the hot question, the
question list, a tag page, search, and the hot question for a signed-in member; then the vote
endpoint's latency (one connection, toggling), search without the page cache over 40 different
queries, and the escalation sweep with 1,000 of the open threads' timers due. Query counts are
taken in-process with the same settings, for a page rendered from scratch.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/peerdesk_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PORT = int(os.environ.get("BENCH_PORT", "8109"))

os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["REDIS_URL"] = REDIS_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.setdefault("PEERDESK_VAR_DIR", "/tmp/peerdesk-bench")
os.environ.pop("DEBUG", None)

PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent


def manage(*args: str) -> None:
    subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], check=True, cwd=BASE_DIR)


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    print("wrk is missing: installing the Debian package (apt-get install -y wrk)...", flush=True)
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*prefix, "apt-get", "install", "-y", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, *, duration: int, threads: int = 2, connections: int = 8, headers=(), script: str | None = None) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": int(errors.group(1)) if errors else 0}


# --- gunicorn -----------------------------------------------------------------------------------


def start_server() -> subprocess.Popen:
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}", "--log-level", "warning"],
        cwd=BASE_DIR,
        env=os.environ.copy(),
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/ok/", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def warm(url: str, headers: dict | None = None) -> int:
    for _ in range(3):
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
            response.read()
    return status


# --- in-process measurements --------------------------------------------------------------------


def setup_django():
    import django

    django.setup()


def query_count(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    with override_settings(ANONYMOUS_PAGE_CACHE_SECONDS=0), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def search_words() -> list[str]:
    from devtools.management.commands.seed_bench import PRODUCTS

    return [f"{PRODUCTS[(i * 7) % len(PRODUCTS)]} {PRODUCTS[(i * 11 + 3) % len(PRODUCTS)]}" for i in range(40)]


def search_uncached(client) -> dict:
    """The search page rendered from scratch (no page cache) for 40 different queries."""
    from django.test.utils import override_settings

    times = []
    with override_settings(ANONYMOUS_PAGE_CACHE_SECONDS=0):
        for words in search_words() * 2:
            started = time.perf_counter()
            assert client.get("/search/", {"q": words}).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
    times = sorted(times[len(times) // 2 :])  # the second round: connections and templates warm
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1], "n": len(times)}


def explain(sql_queryset) -> str:
    return sql_queryset.explain(analyze=True)


def sweep(due: int) -> dict:
    """Make ``due`` pending timers due, then time the sweep."""
    from django.db import connection
    from django.utils import timezone

    from escalation.models import Deadline
    from escalation.services import sweep_due_deadlines

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE escalation_deadline SET due_at = %s WHERE id IN (
                 SELECT id FROM escalation_deadline WHERE status = 'pending' AND kind = 'first_answer'
                 ORDER BY id LIMIT %s)""",
            [now - timezone.timedelta(minutes=1), due],
        )
        cursor.execute("ANALYZE escalation_deadline")
    open_threads = Deadline.objects.filter(status="pending").values("thread_id").distinct().count()
    plan = explain(
        Deadline.objects.filter(status=Deadline.Status.PENDING, due_at__lte=now).order_by("due_at", "pk")[:200]
    )
    started = time.perf_counter()
    handled = sweep_due_deadlines(now=now)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    sweep_due_deadlines(now=now)
    idle = time.perf_counter() - started
    return {"open_threads": open_threads, "handled": handled, "seconds": seconds, "idle": idle, "plan": plan}


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", action="store_true", help="(Re)build the dataset with seed_bench --reset first.")
    parser.add_argument("--scale", type=int, default=10_000, help="Questions to seed (with --seed).")
    parser.add_argument("--duration", type=int, default=15, help="Seconds per wrk run.")
    parser.add_argument("--no-sweep", action="store_true", help="Skip the sweep (it escalates 1,000 threads).")
    parser.add_argument("--sweep-only", action="store_true", help="Only the sweep (e.g. at 1,000,000 questions).")
    args = parser.parse_args()

    ensure_wrk()
    print(f"Load average at start: {load_average()}  ({os.cpu_count()} CPUs)", flush=True)
    manage("migrate", "--noinput", "-v0")
    if args.seed:
        manage("seed_bench", "--reset", "--scale", str(args.scale))
    manage("collectstatic", "--noinput", "-v0")

    setup_django()
    if args.sweep_only:
        from community.models import Thread

        swept = sweep(1_000)
        print(f"\nPeerdesk sweep — {Thread.objects.count():,} questions — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print_sweep(swept)
        print(f"Load average at the end: {load_average()}")
        return
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from community.models import Answer, Thread
    from devtools.management.commands.seed_bench import HOT_TITLE

    hot = Thread.objects.get(title=HOT_TITLE)
    questions = Thread.objects.count()
    member = get_user_model().objects.filter(username__startswith="bench").order_by("-pk").first()
    signed_in = Client()
    signed_in.force_login(member)
    session = signed_in.cookies["sessionid"].value
    anonymous = Client()
    base = f"http://127.0.0.1:{PORT}"
    pages = [
        ("bare view", "/bench/ok/", False),
        ("hot question, anonymous", hot.get_absolute_url(), False),
        ("question list, anonymous", "/", False),
        ("tag page, anonymous", "/tags/calendar/", False),
        ("search, anonymous", "/search/?q=calendar+sync", False),
        ("hot question, signed in", hot.get_absolute_url(), True),
    ]
    counts = {label: query_count(signed_in if member_page else anonymous, url) for label, url, member_page in pages}
    cache.clear()

    server = start_server()
    results = {}
    try:
        for label, url, member_page in pages:
            headers = [f"Cookie: sessionid={session}"] if member_page else []
            warm(base + url, dict(h.split(": ", 1) for h in headers))
            print(f"  wrk {label} ...", flush=True)
            results[label] = wrk(base + url, duration=args.duration, headers=headers)
        # The vote endpoint: one signed-in member toggling "This helped" on a hot answer.
        answer = Answer.objects.filter(thread=hot).order_by("pk").first()
        signed_in.get(hot.get_absolute_url())
        token = signed_in.cookies["csrftoken"].value
        os.environ["BENCH_VOTE_COOKIE"] = f"sessionid={session}; csrftoken={token}"
        os.environ["BENCH_VOTE_TOKEN"] = token
        print("  wrk vote endpoint ...", flush=True)
        vote = wrk(
            f"{base}/a/{answer.pk}/vote/", duration=min(args.duration, 10), threads=1, connections=1,
            script=str(BASE_DIR / "bench" / "vote.lua"),
        )
    finally:
        stop_server(server)

    search = search_uncached(anonymous)
    swept = None if args.no_sweep else sweep(1_000)

    bare = results["bare view"]["rps"]
    print()
    print(f"Peerdesk benchmark — {questions:,} questions — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"Machine: {os.cpu_count()} CPUs, load average {load_average()}; gunicorn -w 2; wrk -t2 -c8 -d{args.duration}s")
    print()
    print(f"| {'page':<26} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'× bare':>6} | {'queries':>7} | {'non-2xx':>7} |")
    print(f"|{'-' * 28}|{'-' * 10}:|{'-' * 8}:|{'-' * 8}:|{'-' * 7}:|{'-' * 8}:|{'-' * 8}:|")
    for label, _url, _member in pages:
        r = results[label]
        print(
            f"| {label:<26} | {r['rps']:>8.0f} | {r['p50']:>7.1f} | {r['p99']:>7.1f} | {r['rps'] / bare:>6.2f} "
            f"| {counts[label]:>7} | {r['errors']:>7} |"
        )
    print()
    print(f"Vote endpoint (signed in, htmx, 1 connection, toggling): {vote['rps']:.0f} req/s, p50 {vote['p50']:.1f} ms, p99 {vote['p99']:.1f} ms, non-2xx {vote['errors']}")
    print(f"Search rendered without the page cache, {search['n']} different queries: p50 {search['p50']:.1f} ms, p99 {search['p99']:.1f} ms")
    if swept:
        print_sweep(swept)
    print(f"Load average at the end: {load_average()}")


def print_sweep(swept: dict) -> None:
    print(
        f"Escalation sweep: {swept['handled']:,} due of {swept['open_threads']:,} open threads escalated in "
        f"{swept['seconds']:.2f} s; a sweep with nothing due: {swept['idle'] * 1000:.1f} ms"
    )
    print("Plan of the sweep's due query:")
    print("    " + swept["plan"].replace("\n", "\n    "))


if __name__ == "__main__":
    main()
