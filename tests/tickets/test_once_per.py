"""`{% once_per %}` (tickets/templatetags/once.py): base.html's navigation copied from an earlier rendering is
the navigation rendered afresh, for every role, section, language and user; and a block refuses at compile time
what could make a copy stale."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import TemplateSyntaxError, engines
from django.template.loader import get_template
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

from tests.factories import UserFactory
from tickets.templatetags import once

PATHS = ["/agent/", "/kb/", "/tickets/", "/tickets/new/", "/dashboard/", "/privacy/audit/", "/healthz"]
# The CSRF token is masked afresh on every rendering: compared as a placeholder.
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@pytest.fixture
def cast(db):
    users = [AnonymousUser()]
    for groups, staff in [((), False), ((), False), (("N1",), False), (("N2",), True), (("N1",), False),
                          (("N4",), False), (("Manager",), False), (("Manager", "N2"), True), (("DPO",), False)]:
        users.append(UserFactory(groups=list(groups), is_staff=staff))
    users[2].first_name, users[2].last_name = "<script>alert(1)</script>", "O'Hara & \"fils\""
    users.append(UserFactory(is_superuser=True, is_staff=True, first_name="Root"))
    return users


def pages(users):
    template = engines["django"].from_string('{% extends "base.html" %}')
    out = []
    for language in ("fr", "en"):
        with translation.override(language):
            for user in users:
                for path in PATHS:
                    request = RequestFactory().get(path + "?page=2&q=<b>")
                    request.user = user
                    request.resolver_match = resolve(path)
                    request.LANGUAGE_CODE = language
                    out.append(TOKEN.sub(r"\1…", template.render({}, request)))
    return out


def test_copied_navigation_is_the_navigation_rendered_afresh(cast, monkeypatch):
    once._forget()
    copied = pages(cast)
    blocks = get_template("base.html").template.nodelist.get_nodes_by_type(once.OncePerNode)
    assert len(blocks) >= 8 and all(block.copies for block in blocks)
    monkeypatch.setattr(once, "ENABLED", False)
    fresh = pages(cast)
    assert len(copied) == len(fresh) == 2 * len(cast) * len(PATHS)
    for a, b in zip(copied, fresh, strict=True):
        assert a == b
    # What the copies must not share: each user's own name, escaped, and the request's path.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fresh[2 * len(PATHS)]
    assert "<script>alert" not in "".join(fresh)
    assert "?page=2&amp;q=%3Cb%3E\"" in fresh[0], fresh[0]
    assert 'lang="fr"' in fresh[0] and 'lang="en"' in fresh[-1]
    assert "Log out" in fresh[-1] and "Se déconnecter" in fresh[len(fresh) // 2 - 1]


@pytest.mark.parametrize("body", [
    "{{ user.username }}",  # not a key
    "{% if user.is_staff %}x{% endif %}",  # not this key
    "{% csrf_token %}",
    "{% url 'home' as home %}",
    "{% translate 'Queue' as label %}",
    "{% with x=is_agent %}{{ x }}{% endwith %}",
    "{% for code in LANGUAGES %}{{ code }}{% endfor %}",  # not a key
    "{% for code in is_agent %}{{ forloop.counter }}{% endfor %}",
    "{% for code in is_agent %}{% endfor %}{{ code }}",  # a loop variable, outside its loop
    "{% include 'base.html' %}",
    "{% get_current_language as LANGUAGE_CODE %}",
    "{% nav_section %}",
    "{% once_per is_agent %}{% endonce %}",
    "{{ is_agent|default:other }}",
])
def test_a_block_refuses_what_its_keys_do_not_cover(body):
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string(
            "{% load i18n navigation once %}{% once_per is_agent user.is_authenticated %}" + body + "{% endonce %}")


def test_a_block_accepts_its_keys_literals_and_argument_only_tags(db):
    template = engines["django"].from_string(
        "{% load i18n icons once static %}{% once_per is_agent section %}{% if is_agent and section == 'kb' %}"
        "<a href=\"{% url 'kb:index' %}\">{% icon 'book' css='me-1' %}{% translate 'Queue' %}</a>{% endif %}"
        "{{ section|upper|default:'none' }}{% static 'css/app.css' %}{% endonce %}")
    with translation.override("en"):
        assert template.render({"is_agent": True, "section": "kb"}).startswith('<a href="/kb/"><svg')
        assert template.render({"is_agent": True, "section": ""}).startswith("none")
    with translation.override("fr"):
        assert "File" in template.render({"is_agent": True, "section": "kb"})


def test_a_loop_over_a_key_is_copied_per_value(db):
    template = engines["django"].from_string(
        "{% load once %}{% once_per items %}{% for a, b in items %}{{ a }}={{ b|upper }};{% empty %}-{% endfor %}"
        "{% endonce %}")
    assert template.render({"items": [("x", "y")]}) == "x=Y;"
    assert template.render({"items": [["x", "z"]]}) == "x=Z;"
    assert template.render({"items": []}) == "-"
    assert len(template.template.nodelist[1].copies) == 3


def test_a_value_that_is_not_plain_is_rendered_every_time(db):
    template = engines["django"].from_string("{% load once %}{% once_per items %}{{ items }}{% endonce %}")
    user = UserFactory(username="first")
    assert template.render({"items": user}) == "first"
    user.username = "second"  # same primary key, same hash: it must not be a key
    assert template.render({"items": user}) == "second"
    assert template.render({"items": [{"a": 1}]}) == "[{&#x27;a&#x27;: 1}]"
    assert not template.template.nodelist[1].copies


def test_copies_are_forgotten_when_settings_change(settings, db):
    template = engines["django"].from_string("{% load once static %}{% once_per %}{% static 'css/app.css' %}{% endonce %}")
    assert template.render({}) == settings.STATIC_URL + "css/app.css"
    settings.STATIC_URL = "/elsewhere/"
    assert template.render({}) == "/elsewhere/css/app.css"


def test_copies_are_kept_per_url_prefix_and_localization(db):
    from django.template import Context
    from django.urls import get_script_prefix, set_script_prefix

    template = engines["django"].engine.from_string(
        "{% load once %}{% once_per n %}{% url 'kb:index' %} {{ n }}{% endonce %}")
    previous = get_script_prefix()
    try:
        with translation.override("fr"):
            assert template.render(Context({"n": 1234.5})) == "/kb/ 1234,5"
            assert template.render(Context({"n": 1234.5}, use_l10n=False)) == "/kb/ 1234.5"
            set_script_prefix("/helpdesk/")
            assert template.render(Context({"n": 1234.5})) == "/helpdesk/kb/ 1234,5"
    finally:
        set_script_prefix(previous)
