"""The floor's settings: the product's DATABASES (so the same connection handling), nothing else."""

import os

from helpdesk.settings import DATABASES  # noqa: F401 - the same database, options and connection handling

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["bench.floor"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.floor.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
USE_TZ = True
TIME_ZONE = "Europe/Paris"
USE_I18N = False
LOGGING_CONFIG = None
