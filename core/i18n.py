"""Django's LocaleMiddleware with each (language cookie, Accept-Language) pair's language chosen once.

Django negotiates the language on every request: the cookie checked against LANGUAGES, the Accept-Language
header parsed and matched, and the path twice searched for a language prefix that our URLs never have
(no i18n_patterns). The choice depends on the cookie, the header and the settings alone, so it is kept per
pair (short values only, and at most MAX_KEPT pairs, so that a client cannot fill the memory with headers
of its own) and forgotten when the language settings change. With i18n_patterns, Django's own code runs.
"""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

MAX_KEPT = 1000
MAX_LENGTH = 200  # longer cookies or headers are negotiated each time, not kept
LANGUAGE_SETTINGS = frozenset({"LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME", "LOCALE_PATHS",
                               "INSTALLED_APPS"})

_chosen: dict[tuple[str | None, str], str] = {}


def _forget(setting, **kwargs) -> None:
    if setting in LANGUAGE_SETTINGS:
        _chosen.clear()


setting_changed.connect(_forget)


def _prefixed(request) -> bool:
    return is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]


class LocaleMiddleware(DjangoLocaleMiddleware):
    def process_request(self, request):
        if _prefixed(request):
            return super().process_request(request)
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        key = (cookie, accept)
        language = _chosen.get(key)
        if language is None:
            language = translation.get_language_from_request(request, check_path=False)
            if len(accept) <= MAX_LENGTH and (cookie is None or len(cookie) <= MAX_LENGTH):
                if len(_chosen) >= MAX_KEPT:
                    _chosen.clear()
                _chosen[key] = language
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request, response):
        if _prefixed(request):
            return super().process_response(request, response)
        # Django's, without i18n_patterns: no redirect to a prefixed path, the header always varies.
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
