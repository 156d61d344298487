"""Signed survey links: they work without logging in, expire, and name one survey only."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Survey

SALT = "tickets.survey"


def survey_token(survey: Survey) -> str:
    return signing.dumps({"survey": survey.pk, "ticket": survey.ticket_id}, salt=SALT, compress=True)


def survey_url(survey: Survey) -> str:
    return settings.HELPDESK_BASE_URL + reverse("tickets:survey_link", args=[survey_token(survey)])


class SurveyLinkError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "forged" or "expired"


def survey_from_token(token: str) -> Survey:
    """The survey a token names; SurveyLinkError when forged, tampered with or expired."""
    max_age = settings.HELPDESK_SURVEY_LINK_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise SurveyLinkError("expired") from None
    except signing.BadSignature:
        raise SurveyLinkError("forged") from None
    survey = Survey.objects.select_related("ticket").filter(pk=data.get("survey"), ticket_id=data.get("ticket")).first()
    if survey is None:
        raise SurveyLinkError("forged")
    return survey
