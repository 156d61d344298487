"""core.i18n.LocaleMiddleware chooses the language Django's LocaleMiddleware chooses, for every language
cookie and Accept-Language header, with the same response headers; and the language switch still works."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from core import i18n

COOKIES = [None, "en", "fr", "EN", "en-us", "fr-ca", "de", "xx", "", "../../etc", "e" * 300]
HEADERS = ["", "en-US,en;q=0.9", "fr-FR,fr;q=0.9,en;q=0.8", "de-DE,de;q=0.9", "de,en;q=0.5", "*", "fr-CA",
           "zz;q=x, en;q=0.1", "EN", ";;,,", "en-GB;q=0.8, fr;q=0.9", "e" * 300]


def view(request):
    response = HttpResponse(f"{translation.get_language()}|{request.LANGUAGE_CODE}")
    if request.path == "/varies/":
        response["Vary"] = "Cookie"
    return response


def answer(middleware_class, cookie, header, path="/agent/"):
    request = RequestFactory().get(path, headers={"accept-language": header} if header else {})
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    with translation.override("fr"):  # what a previous request of the thread left
        response = middleware_class(view)(request)
    return response.content, response.get("Vary"), response.get("Content-Language")


@pytest.mark.parametrize("cookie", COOKIES)
def test_the_language_and_headers_are_djangos(cookie):
    i18n._chosen.clear()
    for header in HEADERS:
        for path in ("/agent/", "/en/agent/", "/varies/"):
            expected = answer(DjangoLocaleMiddleware, cookie, header, path)
            assert answer(i18n.LocaleMiddleware, cookie, header, path) == expected
            assert answer(i18n.LocaleMiddleware, cookie, header, path) == expected  # kept, the second time
    assert all(len(accept) <= i18n.MAX_LENGTH for _, accept in i18n._chosen)


def test_the_choice_follows_the_settings(settings):
    assert answer(i18n.LocaleMiddleware, None, "en-US")[0] == b"en|en"
    settings.LANGUAGES = [("fr", "French")]
    assert answer(i18n.LocaleMiddleware, None, "en-US")[0] == b"fr|fr"


def test_the_kept_choices_are_bounded(monkeypatch):
    monkeypatch.setattr(i18n, "MAX_KEPT", 5)
    i18n._chosen.clear()
    for number in range(12):
        answer(i18n.LocaleMiddleware, None, f"en;q=0.{number}")
    assert 0 < len(i18n._chosen) <= 5


def test_the_product_uses_it_and_the_language_switch_works(client, requester):
    assert "core.i18n.LocaleMiddleware" in settings.MIDDLEWARE
    assert "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE
    client.force_login(requester)
    assert client.get("/tickets/", headers={"accept-language": "en"}).headers["Content-Language"] == "en"
    assert client.get("/tickets/").headers["Content-Language"] == "fr"
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    assert response.status_code == 302
    page = client.get("/tickets/")
    assert page.headers["Content-Language"] == "en" and 'lang="en"' in page.content.decode()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/tickets/"})
    assert client.get("/tickets/", headers={"accept-language": "en"}).headers["Content-Language"] == "fr"
