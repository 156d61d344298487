"""Card numbers masked on arrival (HELPDESK_REDACT_CARDS_ON_ARRIVAL, docs/gdpr.md); connected in
PrivacyConfig.ready().

The text is masked in `pre_save`, before the row's INSERT, whatever the path (web form, email in, API,
a requester's reply that opens a new ticket): the original is never written, so neither the history,
the search index, a webhook payload nor an email built from the row can hold it. The timeline mark is
written by the receivers of the domain signals `ticket_created` and `followup_added`, in the same
transaction, once the ticket's row exists. `tickets` knows nothing of this (privacy sits on top).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver

from tickets.models import Followup, InboundEmail, Ticket
from tickets.signals import followup_added, ticket_created

from . import services

MASKED = "_privacy_masked"


def _enabled(instance, raw: bool) -> bool:
    return settings.HELPDESK_REDACT_CARDS_ON_ARRIVAL and not raw and instance._state.adding


def _mask(instance, *fields: str) -> list[str]:
    kinds: set[str] = set()
    for name in fields:
        text, found = services.text_mask_cards(getattr(instance, name))
        if found:
            setattr(instance, name, text)
            kinds.update(found)
    return sorted(kinds)


@receiver(pre_save, sender=Ticket, dispatch_uid="privacy.mask_cards_ticket")
def mask_cards_in_a_new_ticket(sender, instance, raw=False, **kwargs):
    if _enabled(instance, raw) and (kinds := _mask(instance, "title", "description")):
        setattr(instance, MASKED, kinds)


@receiver(pre_save, sender=Followup, dispatch_uid="privacy.mask_cards_followup")
def mask_cards_in_a_new_followup(sender, instance, raw=False, **kwargs):
    if _enabled(instance, raw) and (kinds := _mask(instance, "body")):
        setattr(instance, MASKED, kinds)


@receiver(pre_save, sender=InboundEmail, dispatch_uid="privacy.mask_cards_inbound")
def mask_cards_in_an_incoming_mail(sender, instance, raw=False, **kwargs):
    """The mail as stored (its text, subject and raw message) loses the card number too."""
    if not _enabled(instance, raw):
        return
    found = _mask(instance, "subject", "body")
    message = bytes(instance.raw or b"").decode("utf-8", "replace")
    masked, in_raw = services.text_mask_cards(message)
    if in_raw:
        instance.raw = masked.encode()
    elif found:
        # The number is in an encoded part (base64, quoted-printable) the pattern cannot see: the raw
        # message is replaced by its masked text, as erasure does (privacy.services.people_anonymise).
        instance.raw = instance.body.encode()


@receiver(ticket_created, dispatch_uid="privacy.ticket_created")
def mark_masked_ticket(sender, ticket, actor, **kwargs):
    if kinds := getattr(ticket, MASKED, None):
        services.text_masked_on_arrival_record(ticket=ticket, kinds=kinds)


@receiver(followup_added, dispatch_uid="privacy.followup_added")
def mark_masked_followup(sender, ticket, followup, **kwargs):
    if kinds := getattr(followup, MASKED, None):
        services.text_masked_on_arrival_record(ticket=ticket, kinds=kinds)
