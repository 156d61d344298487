"""The queue's pages as one tree writes them, to compare two trees byte for byte (issue 16, session 7): 16 query
strings (every view, filters, hostile and invalid values) and the first page's next page, the whole page and the
htmx table, in French and English, each requested twice (the second from what the first kept), the time frozen and
the CSRF tokens masked. Run from each tree's root, then `diff -r` the two directories.

    cd <tree> && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB=bench_perf \
        /path/to/.venv/bin/python /path/to/bench/queue_pages.py /tmp/pages_<tree>
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, os.getcwd())

URLS = [
    "/agent/", "/agent/?view=all&priority=P3&sort=newest", "/agent/?view=mine", "/agent/?view=unassigned&sort=priority",
    "/agent/?view=level&status=waiting", "/agent/?view=breaching", "/agent/?category=3&organisation=2",
    "/agent/?q=imprimante&sla=breached",
    "/agent/?created_after=2026-01-01&updated_before=2026-11-01&ticket_type=incident&channel=email",
    "/agent/?priority=bogus", "/agent/?view=nope", "/agent/?assignee=999999", "/agent/?q=%3Cscript%3E%22&sort=deadline",
    "/agent/?sort=age&level=N2", "/agent/?view=at_risk", "/agent/?priority=P1&priority=P2",
]
TOKENS = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def main() -> None:
    from bench.profile_requests import configure
    from tests import live

    port = live.free_port()
    redis = live.start_redis(port)
    try:
        configure(f"redis://127.0.0.1:{port}/0")
        run(Path(sys.argv[1]))
    finally:
        live.stop(redis)


def run(out: Path) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    out.mkdir(parents=True, exist_ok=True)
    frozen = datetime.datetime(2026, 11, 30, 21, 0, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=frozen):
        client = Client()
        client.force_login(User.objects.get(username="bench_n1_0"))
        found = re.search(r'after=([A-Za-z0-9_-]+)"', client.get("/agent/").content.decode())
        urls = URLS + (["/agent/?view=all&sort=newest&after=" + found.group(1)] if found else [])
        for language in ("fr", "en"):
            client.cookies["django_language"] = language
            for number, url in enumerate(urls):
                for htmx in (False, True):
                    for repeat in (1, 2):
                        response = client.get(url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
                        text = TOKENS.sub(r"\1…", response.content.decode())
                        name = f"{language}_{number:02d}_{'htmx' if htmx else 'page'}_{repeat}.html"
                        (out / name).write_text(f"<!-- {url} {response.status_code} -->\n{text}")


if __name__ == "__main__":
    main()
