"""core.csp.CSPMiddleware gives every response the headers django-csp's own middleware gives it, with the
policy built once per setting; a nonce or a view's own policy still goes through django-csp."""

from __future__ import annotations

import re

import pytest
from csp.constants import NONCE
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.test import RequestFactory

from core import csp as fast_csp

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
NONCE_VALUE = re.compile(r"'nonce-[^']+'")


def plain(request):
    return HttpResponse("ok")


def with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


def not_found(request):
    return HttpResponseNotFound("no")


def preset_header(request):
    response = HttpResponse("ok")
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


VIEWS = [plain, with_nonce, not_found, preset_header, csp_exempt()(plain), csp_exempt(REPORT_ONLY=True)(plain),
         csp_update({"img-src": ["https://example.org"]})(plain),
         csp_replace({"script-src": ["https://cdn.example.org"]})(plain),
         csp({"default-src": ["'none'"]})(plain),
         csp_update({"img-src": ["https://example.org"]}, REPORT_ONLY=True)(plain)]


def headers(middleware_class, view, path="/agent/"):
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    found = {name: response.get(name) for name in HEADERS}
    # A nonce is drawn afresh for each request: compared as a placeholder, checked apart below.
    return {name: value and NONCE_VALUE.sub("'nonce-…'", value) for name, value in found.items()}, request


def policies():
    base = settings.CONTENT_SECURITY_POLICY
    with_nonce_too = {"DIRECTIVES": {**base["DIRECTIVES"], "script-src": ["'self'", NONCE]}}
    return [
        {},
        {"CONTENT_SECURITY_POLICY": with_nonce_too},
        {"CONTENT_SECURITY_POLICY_REPORT_ONLY": {"DIRECTIVES": {"default-src": ["'self'"],
                                                                "report-uri": "/csp-report/"}}},
        {"CONTENT_SECURITY_POLICY": {**base, "EXCLUDE_URL_PREFIXES": ["/agent/"]}},
        {"CONTENT_SECURITY_POLICY": None},
        {"DEBUG": True},
    ]


@pytest.mark.parametrize("overrides", policies())
@pytest.mark.parametrize("view", VIEWS)
def test_the_headers_are_django_csps(settings, overrides, view):
    for name, value in overrides.items():
        setattr(settings, name, value)
    for path in ("/agent/", "/tickets/"):
        expected, _ = headers(DjangoCSPMiddleware, view, path)
        assert headers(fast_csp.CSPMiddleware, view, path)[0] == expected
        assert headers(fast_csp.CSPMiddleware, view, path)[0] == expected  # the kept policy, the second time


def test_the_policy_follows_the_setting(settings):
    headers(fast_csp.CSPMiddleware, plain)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert headers(fast_csp.CSPMiddleware, plain)[0]["Content-Security-Policy"] == "default-src 'none'"


def test_a_nonce_is_in_the_header_and_refused_once_it_is_written(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}
    request = RequestFactory().get("/")
    response = fast_csp.CSPMiddleware(with_nonce)(request)
    assert f"'nonce-{request._csp_nonce}'" in response["Content-Security-Policy"]
    assert f"nonce='{request._csp_nonce}'" in response.content.decode()
    _, request = headers(fast_csp.CSPMiddleware, plain)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_the_product_uses_it_and_every_page_gets_the_strict_policy(client, db):
    assert "core.csp.CSPMiddleware" in settings.MIDDLEWARE
    assert "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
