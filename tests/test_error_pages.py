"""The product's own error pages, as bin/demo and production serve them (DEBUG off), and its favicon."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import path, reverse
from django.views.defaults import permission_denied


def boom(request):
    raise RuntimeError("a bug")


# This module is also the URLconf of the 500 test: one view that fails.
urlpatterns = [path("boom/", boom)]


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def product_page(html: str) -> bool:
    """Our look: Bootstrap and app.css, the navbar with the product's name, the favicon."""
    return all(marker in html for marker in (
        "bootstrap/css/bootstrap.min.css", "css/app.css", 'class="navbar-brand', 'rel="icon"', "favicon.svg",
    ))


def test_an_unknown_page_is_the_products_404(client, requester):
    client.force_login(requester)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    html = response.content.decode()
    assert "Page introuvable" in html and product_page(html)


def test_a_refusal_is_the_products_403(rf):
    request = rf.get("/")
    request.user = AnonymousUser()

    response = permission_denied(request, PermissionDenied())

    html = response.content.decode()
    assert response.status_code == 403
    assert "Accès refusé" in html and product_page(html)


@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_is_the_products_500(client):
    client.raise_request_exception = False

    response = client.get("/boom/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Une erreur est survenue" in html and product_page(html)


def test_a_form_without_its_csrf_token_is_the_products_403(db):
    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "Formulaire expiré" in html and product_page(html)


def test_favicon_ico_leads_to_the_svg_favicon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
