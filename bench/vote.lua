-- wrk script for the vote endpoint: a signed-in member's htmx POST, toggling "This helped".
-- bench/run.py sets BENCH_VOTE_COOKIE (sessionid and csrftoken) and BENCH_VOTE_TOKEN.
wrk.method = "POST"
wrk.body = ""
wrk.headers["Cookie"] = os.getenv("BENCH_VOTE_COOKIE")
wrk.headers["X-CSRFToken"] = os.getenv("BENCH_VOTE_TOKEN")
wrk.headers["HX-Request"] = "true"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
