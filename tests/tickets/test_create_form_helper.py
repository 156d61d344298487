"""The new-ticket form builds its crispy layout only for a page that shows it (issue 16: a valid submission
redirects, its layout was built for nothing)."""

from __future__ import annotations

from unittest import mock

from tests.factories import CategoryFactory
from tickets import forms


def _data(category) -> dict:
    return {"ticket_type": "incident", "category": category.pk, "title": "Imprimante hors service",
            "description": "Rien ne répond depuis ce matin.", "urgency": "medium", "impact": "low"}


def test_a_valid_submission_builds_no_layout(client, requester):
    client.force_login(requester)
    category = CategoryFactory()
    with mock.patch.object(forms, "_helper", wraps=forms._helper) as helper:
        response = client.post("/tickets/new/", _data(category))
    assert response.status_code == 302
    assert helper.call_count == 0


def test_the_page_and_an_invalid_submission_show_the_form_with_its_layout(client, requester):
    client.force_login(requester)
    for response in (client.get("/tickets/new/"), client.post("/tickets/new/", {"title": ""})):
        html = response.content.decode()
        assert 'enctype="multipart/form-data"' in html
        assert 'name="ticket_type"' in html and 'name="attachments"' in html
        assert 'class="col-md-6' in html and 'type="submit"' in html
    assert response.status_code == 400
