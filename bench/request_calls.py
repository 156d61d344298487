"""Python calls per request of profile_requests' cases (submit, new_form, queue, workspace), for the tree of cwd."""
import cProfile, os, pstats, sys, time, statistics
sys.path.insert(0, os.getcwd())
from bench.profile_requests import configure, cases
from tests import live
port = live.free_port(); redis = live.start_redis(port)
try:
    configure(f"redis://127.0.0.1:{port}/0")
    from django.contrib.auth.models import User
    from django.test import Client
    from bench.http_load import ensure_cast
    ensure_cast()
    for label, (username, method, url, data) in cases().items():
        if label not in ("submit", "new_form", "queue", "workspace"):
            continue
        client = Client(); client.force_login(User.objects.get(username=username))
        def once():
            r = getattr(client, method)(url, data() if data else None)
            assert r.status_code in (200, 302)
            client.cookies.pop("messages", None)
        for _ in range(5): once()
        rounds = []
        for _ in range(5):
            t = time.process_time()
            for _ in range(20): once()
            rounds.append((time.process_time() - t) * 50)
        p = cProfile.Profile(); p.enable()
        for _ in range(10): once()
        p.disable()
        print(f"{os.getcwd()} | {label} | {pstats.Stats(p).total_calls / 10:,.0f} calls | CPU min {min(rounds):.2f} median {statistics.median(rounds):.2f} ms | load {os.getloadavg()[0]:.1f}", flush=True)
finally:
    live.stop(redis)
