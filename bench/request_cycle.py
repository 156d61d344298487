"""What every request pays before and after its view (issue 16, session 7): a trivial view of this script's
own through the whole middleware stack, piece by piece, in process, production settings
(bench/profile_requests.configure: DEBUG=0, Redis of the script's own as cache, cached_db sessions).

    cd <tree> && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        /path/to/.venv/bin/python /path/to/bench/request_cycle.py [--repeat 200] [--rounds 7]

The code measured is the tree of the current directory (it goes first on sys.path), so the same script
compares two trees. Printed, for an agent signed in (bench_n1_0) and for an anonymous visitor:

- the whole request through Django's test Client (process_time: waits for PostgreSQL, Redis or a core
  are not counted), with the Python function calls per request (cProfile's count, the same at any load);
- each middleware's own time: a timing middleware between every two (its time inside, less the next
  one's), so "auth" is the middleware's work plus the user's load when the view first touches it, etc.;
- pieces measured apart: the session's load, the user's load, the context processors, base.html rendered
  with the request's context (an empty page that extends it).

Minima of `--rounds` rounds of `--repeat` requests (the least disturbed), medians beside them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("BENCH_DB", "bench_perf")

_TIMES: dict[int, float] = {}


def timing_middleware(index: int):
    """A middleware adding its inclusive process time to _TIMES[index]."""

    def factory(get_response):
        def middleware(request):
            started = time.process_time()
            try:
                return get_response(request)
            finally:
                _TIMES[index] = _TIMES.get(index, 0.0) + time.process_time() - started

        return middleware

    return factory


urlpatterns: list = []  # this module is the ROOT_URLCONF while it runs: the product's URLs plus two views


def _urls() -> None:
    from django.http import HttpResponse
    from django.shortcuts import render
    from django.urls import include, path

    def bare(request):
        request.user.is_authenticated  # noqa: B018 - a real page reads the user: the lazy load happens here
        return HttpResponse("ok")

    def page(request):
        return render(request, "bench_cycle_page.html")

    urlpatterns[:] = [path("__cycle/bare/", bare), path("__cycle/page/", page), path("", include("helpdesk.urls"))]


def wsgi_call(client, url):
    """A callable making the client's request through django.core.handlers.wsgi.WSGIHandler."""
    from io import BytesIO

    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    path, _, query = url.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "testserver", "HTTP_COOKIE": cookies,
               "HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.8", "HTTP_USER_AGENT": "bench",
               "wsgi.input": BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
               "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False}

    def start_response(status, headers):
        assert status.startswith("200"), status

    def once():
        response = handler(dict(environ), start_response)
        b"".join(response)
        response.close()

    return once


def rounds(fn, repeat: int, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.process_time()
        for _ in range(repeat):
            fn()
        out.append((time.process_time() - started) * 1000 / repeat)
    return out


def calls(fn, repeat: int = 20) -> float:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        fn()
    profiler.disable()
    return pstats.Stats(profiler).total_calls / repeat


def fmt(values: list[float]) -> str:
    return f"min {min(values):.3f} | median {statistics.median(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sys.modules["bench.request_cycle"] = sys.modules[__name__]  # the URL conf and the timers are this module
    from bench.profile_requests import with_production_settings

    with_production_settings(run, args)


def run(args) -> None:
    import tempfile
    from pathlib import Path

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import override_settings

    from bench.common import machine

    templates = Path(tempfile.mkdtemp())
    (templates / "bench_cycle_page.html").write_text('{% extends "base.html" %}')
    engine = [dict(settings.TEMPLATES[0], DIRS=[*settings.TEMPLATES[0]["DIRS"], templates])]
    _urls()
    middleware = list(settings.MIDDLEWARE)
    timed_stack = [f"bench.request_cycle._timer_{0}"]
    for index, name in enumerate(middleware, 1):
        timed_stack += [name, f"bench.request_cycle._timer_{index}"]
    for index in range(len(middleware) + 1):
        globals()[f"_timer_{index}"] = timing_middleware(index)
    override_settings(ROOT_URLCONF="bench.request_cycle", TEMPLATES=engine).enable()
    print(f"{os.getcwd()} | {machine()} | load {os.getloadavg()[0]:.1f} | {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    agent = User.objects.get(username="bench_n1_0")

    def client_for(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    for who, user in (("agent", agent), ("anonymous", None)):
        for label, url in (("bare view", "/__cycle/bare/"), ("page extending base.html", "/__cycle/page/")):
            client = client_for(user)

            def once(client=client, url=url):
                assert client.get(url).status_code == 200

            for _ in range(20):
                once()
            times = rounds(once, args.repeat, args.rounds)
            print(f"{who} | {label} | whole request ms {fmt(times)} | {calls(once):,.0f} calls")
            # The same request as gunicorn makes it: Django's WSGI handler, its request_started and
            # request_finished signals (connections checked, caches closed), no test client around it.
            wsgi = wsgi_call(client, url)
            times = rounds(wsgi, args.repeat, args.rounds)
            print(f"{who} | {label}, WSGI handler | whole request ms {fmt(times)} | {calls(wsgi):,.0f} calls")

    # Each middleware's own time, with a timer between every two (the timers' own cost is in the figures).
    with override_settings(MIDDLEWARE=timed_stack):
        for who, user in (("agent", agent), ("anonymous", None)):
            client = client_for(user)
            for _ in range(20):
                client.get("/__cycle/bare/")
            per_round = []
            for _ in range(args.rounds):
                _TIMES.clear()
                for _ in range(args.repeat):
                    client.get("/__cycle/bare/")
                per_round.append(dict(_TIMES))
            print(f"\n{who}, bare view: each middleware's own process time (ms per request; min and median of "
                  f"{args.rounds} rounds of {args.repeat})")
            for index, name in enumerate(middleware, 1):
                own = [(r[index - 1] - r[index]) * 1000 / args.repeat for r in per_round]
                print(f"  {name:<58} {fmt(own)}")
            inner = [r[len(middleware)] * 1000 / args.repeat for r in per_round]
            total = [r[0] * 1000 / args.repeat for r in per_round]
            print(f"  {'(the view, URL resolution aside)':<58} {fmt(inner)}")
            print(f"  {'all of the stack (inside the first timer)':<58} {fmt(total)}")

    pieces(args, agent)


def pieces(args, agent) -> None:
    """The session's load, the user's load, the context processors and base.html, each apart."""
    from django.contrib.auth import get_user
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.template import engines
    from django.template.context import make_context
    from django.test import Client, RequestFactory

    client = Client()
    client.force_login(agent)
    session_key = client.session.session_key

    def session_load():
        SessionStore(session_key).load()

    factory = RequestFactory()

    session = SessionStore(session_key)
    session.load()
    bare_request = factory.get("/")

    def user_load():
        bare_request.session = session
        return get_user(bare_request)

    print("\npieces, agent (ms per call)")
    print(f"  {'session read (cached_db, Redis)':<58} {fmt(rounds(session_load, args.repeat, args.rounds))}")
    print(f"  {'the user read (backend get_user, session aside)':<58} "
          f"{fmt(rounds(user_load, args.repeat, args.rounds))}")

    template = engines["django"].engine.get_template("bench_cycle_page.html")
    request = client.get("/__cycle/bare/").wsgi_request

    def processors():
        context = make_context({}, request)
        with context.bind_template(template):
            pass

    def render_page():
        template.render(make_context({}, request))

    print(f"  {'context processors (request, i18n, auth, messages, roles)':<58} "
          f"{fmt(rounds(processors, args.repeat, args.rounds))}")
    print(f"  {'base.html rendered with them (processors included)':<58} "
          f"{fmt(rounds(render_page, args.repeat, args.rounds))} | {calls(render_page):,.0f} calls")


if __name__ == "__main__":
    main()
