"""The emails a person gets are written in the language they picked in the pages (Profile.language, kept by the
language menu's view); without a choice, in the site's (LANGUAGE_CODE, French)."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Profile
from tests.factories import UserFactory, make_ticket
from tickets.models import Notification
from tickets.outbox import _language_of, build_message


def _acknowledgement(requester, category):
    ticket = make_ticket(requester=requester, category=category, title="Écran noir")
    notification = Notification.objects.select_related("recipient__profile", "event__ticket").get(
        event__ticket=ticket, recipient=requester)
    return build_message(notification)


def test_a_person_who_picks_english_gets_english_emails(client, requester, category):
    client.force_login(requester)

    response = client.post(reverse("set_language"), {"language": "en", "next": "/tickets/"})

    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert Profile.objects.get(user=requester).language == "en"
    message = _acknowledgement(requester, category)
    assert message.subject.startswith(f"[{message.extra_headers['X-Helpdesk-Ticket']}] We have received your request")
    assert "Nous avons bien reçu" not in message.body


def test_without_a_choice_the_emails_are_in_the_sites_language(requester, category):
    message = _acknowledgement(requester, category)

    assert "Nous avons bien reçu votre demande" in message.subject


def test_picking_french_again_is_kept_too(client, requester, category):
    client.force_login(requester)
    client.post(reverse("set_language"), {"language": "en"})
    client.post(reverse("set_language"), {"language": "fr"})

    assert Profile.objects.get(user=requester).language == "fr"
    assert "Nous avons bien reçu votre demande" in _acknowledgement(requester, category).subject


def test_an_unknown_language_or_no_session_keeps_nothing(client, requester):
    anonymous = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.force_login(requester)
    unknown = client.post(reverse("set_language"), {"language": "de", "next": "/"})

    assert anonymous.status_code == unknown.status_code == 302
    assert Profile.objects.filter(user=requester).values_list("language", flat=True).first() in (None, "")


def test_a_person_without_a_profile_gets_the_sites_language(db, settings):
    agent = UserFactory(username="sans-profil")
    Profile.objects.filter(user=agent).delete()
    settings.LANGUAGE_CODE = "fr"

    assert _language_of(type(agent).objects.get(pk=agent.pk)) == "fr"


def test_a_get_changes_nothing_as_djangos_view(client, requester):
    client.force_login(requester)

    response = client.get(reverse("set_language"), {"language": "en", "next": "/tickets/"})

    assert response.status_code == 302 and "django_language" not in response.cookies
    assert Profile.objects.filter(user=requester).values_list("language", flat=True).first() in (None, "")
