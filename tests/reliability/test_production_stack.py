"""The production processes without Docker: collectstatic, then gunicorn with production settings,
serving /healthz, hashed and compressed static files, and the security headers. The Celery worker and
beat of the same stack are exercised by tests/sla/test_celery_integration.py and test_outbox.py."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import live

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    # As behind the TLS-terminating proxy of production (SECURE_PROXY_SSL_HEADER).
    request = urllib.request.Request(url, headers={"Host": "helpdesk.example.org",  # noqa: S310 - http only
                                                   "X-Forwarded-Proto": "https", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own test server
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_health_static_files_and_security_headers(tmp_path):
    if connection.vendor != "postgresql" or not shutil.which("redis-server"):
        pytest.skip("needs PostgreSQL and Redis (CI has both)")
    db = settings.DATABASES["default"]
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "0", "SECRET_KEY": "production-stack-test-" + "k" * 40,
        "ALLOWED_HOSTS": "helpdesk.example.org", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "3600",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_SPARE_DBS', '15,14').split(',')[1]}", "STATIC_ROOT": str(tmp_path / "static"),
        "LOG_FORMAT": "json",
    }
    env.pop("TEST_DATABASE_NAME", None)
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=300, check=False)
    assert collected.returncode == 0, collected.stderr[-2000:]
    port = live.free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "helpdesk.wsgi", "--bind", f"127.0.0.1:{port}",
                               "--workers", "2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=(tmp_path / "gunicorn.log").open("w"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _headers, body = _get(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail((tmp_path / "gunicorn.log").read_text()[-2000:])
        assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok", "broker": "ok"}

        status, headers, body = _get(f"{base}/accounts/login/")
        assert status == 200
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["Strict-Transport-Security"].startswith("max-age=3600")
        assert headers["X-Frame-Options"] == "DENY"
        stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "static files are not served under hashed names"

        status, headers, body = _get(base + stylesheet.group(1).decode(), **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("Content-Encoding") == "gzip" and b".chart" in gzip.decompress(body)
        assert "immutable" in headers.get("Cache-Control", "")
    finally:
        server.terminate()
        server.wait(timeout=15)
