"""The test run's settings: the real ones (helpdesk.settings, from the environment as CI sets it) with
what tests need once for all. Processes a test starts (gunicorn, a worker) use helpdesk.settings."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from .settings import *  # noqa: E402,F403

# PBKDF2 costs ~0.3 s per user on this machine; tests create many users and test no hashing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
LANGUAGE_CODE = "fr"
# The rate limits have their own tests (tests/security); elsewhere many logins come from one IP.
RATELIMIT_ENABLE = False
# The reference cache (core.cache) on, as in production: tests run in one process, and tests/conftest.py
# empties the cache before each test (its database rows are rolled back, the cache would keep them).
HELPDESK_REFERENCE_CACHE = True
