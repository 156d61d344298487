"""Real processes for the tests and benchmarks that run the product as an operator does: a Redis of
their own on a free port (stopped and started again), gunicorn and a Celery worker against the test
database, and an HTTP client that keeps its session and CSRF cookies like a browser."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def database_url(db: dict) -> str:
    """The DATABASE_URL of a Django DATABASES entry (PostgreSQL), for a process started beside the test."""
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_redis(port: int) -> subprocess.Popen:
    """A Redis that keeps nothing on disk, as CI's: stopping it loses every queued message."""
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    wait_for_port(port)
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def production_env(*, database_url: str, redis_url: str, static_root: Path, mail_dir: Path, **extra) -> dict:
    """Production settings (DEBUG off) over plain HTTP on 127.0.0.1, Redis as cache and broker."""
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "0", "SECRET_KEY": "live-stack-test-" + "k" * 40, "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0", "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0",
        "SECURE_SSL_REDIRECT": "0", "STATIC_ROOT": str(static_root), "LOG_FORMAT": "plain",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail_dir),
        **extra,
    }
    env.pop("TEST_DATABASE_NAME", None)
    env.pop("CACHE_URL", None)
    return env


def collectstatic(env: dict) -> None:
    done = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])


def start_gunicorn(env: dict, port: int, log: Path, *, workers: int = 2, extra: tuple = ()) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "helpdesk.wsgi", "--bind", f"127.0.0.1:{port}",
                                "--workers", str(workers), *extra], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        wait_for_port(port, timeout=30)
    except RuntimeError:
        stop(process)
        raise RuntimeError(log.read_text()[-3000:]) from None
    return process


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool=solo",
                             "--loglevel=INFO"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("w"))


def manage_shell(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@dataclass
class Answer:
    status: int
    headers: dict
    body: str
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# A file input left empty, as a browser sends it in a multipart form: a part with an empty file name and no content.
NO_FILE = ("", b"", "application/octet-stream")


def multipart_body(data: dict) -> tuple[bytes, str]:
    """`data` as a browser's multipart/form-data body, and its Content-Type: each value a text, a file as
    (name, content, type) such as NO_FILE, or a list of either (one part each, in order)."""
    boundary = f"----WebKitFormBoundary{secrets.token_hex(8)}"
    parts = []
    for name, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, tuple):
                filename, content, content_type = value
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
                             f"\r\nContent-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
            else:
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                             .encode())
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class WebClient:
    """One person's browser: cookies kept, redirects not followed (a 302 is an answer to check)."""

    def __init__(self, base: str, *, headers: dict | None = None) -> None:
        self.base = base
        self.headers = headers or {}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, path: str, data: dict | None = None, headers: dict | None = None, *,
                multipart: bool = False) -> Answer:
        """GET, or POST `data`: url-encoded, or with `multipart` as a browser sends a form that takes files."""
        headers = {**self.headers, **(headers or {})}
        body = None
        if data is not None and multipart:
            body, headers["Content-Type"] = multipart_body(data)
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(  # noqa: S310 - http only, to our own server on 127.0.0.1
            self.base + path, data=body, headers=headers)
        started = time.perf_counter()
        try:
            # LIVE_TIMEOUT: a bench on a machine shared by many runs may need longer than 30 s per request.
            with self.opener.open(request, timeout=float(os.environ.get("LIVE_TIMEOUT", "30"))) as response:
                answer = Answer(response.status, dict(response.headers), response.read().decode(), 0)
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, dict(error.headers), error.read().decode(errors="replace"), 0)
        answer.seconds = time.perf_counter() - started
        return answer

    def get(self, path: str, **headers) -> Answer:
        return self.request(path, headers=headers)

    def submit(self, page: str, data: dict, *, action: str | None = None, multipart: bool = False,
               **headers) -> Answer:
        """GET the page holding the form, then POST it with its CSRF token, as a browser does (`multipart` for a
        form with enctype="multipart/form-data", one that takes files)."""
        form = self.get(page)
        token = CSRF_INPUT.search(form.body)
        if token is None:
            raise AssertionError(f"no CSRF token on {page} (HTTP {form.status}): {form.body[:500]}")
        return self.request(action or page, {**data, "csrfmiddlewaretoken": token.group(1)},
                            headers={"Referer": self.base + page, **headers}, multipart=multipart)

    def login(self, username: str, password: str, **headers) -> Answer:
        return self.submit("/accounts/login/", {"username": username, "password": password}, **headers)


def wait_until(condition, *, timeout: float, explain=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s\n{explain()}")
        time.sleep(0.5)
