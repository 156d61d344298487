# One image for the web app (gunicorn), the Celery worker and Celery beat; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 helpdesk
WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        >/tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the project itself, installed in place so that the code runs from /app (templates, static, locale).
COPY . .
RUN pip install --no-deps -e . \
    && mkdir -p /data/media /data/var \
    && chown -R helpdesk:helpdesk /app /data

USER helpdesk
ENV MEDIA_ROOT=/data/media \
    HELPDESK_VAR_DIR=/data/var
# Build-time only: settings need a SECRET_KEY to load; it is never used at run time.
# The compiled catalogs are committed; recompile in case a .po file is newer.
RUN SECRET_KEY=build-only DEBUG=0 python manage.py compilemessages -v0 \
    && SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput -v0

EXPOSE 8000
# Threaded workers, one process per core: see README.md, "Production with docker-compose".
CMD ["gunicorn", "helpdesk.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "4"]
