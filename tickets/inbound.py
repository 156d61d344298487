"""The email channel: a message to the support address creates a ticket for a known requester, a
reply (reference in the subject or the References headers) adds a public followup, and anything
else is kept for review. Used by the signed webhook and the IMAP poll alike."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import imaplib
import re
from email.message import EmailMessage
from email.utils import parseaddr

import nh3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.exceptions import ActionRefused

from . import services
from .models import Channel, InboundEmail, InboundStatus, Scale, Ticket, TicketType
from .uploads import validate_upload

User = get_user_model()
REFERENCE = re.compile(r"\b(\d{4}-\d{6})\b")
HEADER_REFERENCE = re.compile(r"<(\d{4}-\d{6})@helpdesk>")
# Where a reply's quoted history starts: "Le … a écrit :", "On … wrote:", "-----Original Message-----".
QUOTE_START = re.compile(r"^(Le .+ a écrit ?:|On .+ wrote:|-{2,} ?(Original Message|Message d'origine) ?-{2,}|>)",
                         re.MULTILINE)


def signature_for(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, given: str, secret: str) -> bool:
    return bool(secret) and hmac.compare_digest(signature_for(body, secret), given or "")


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        content = nh3.clean(content, tags=set())  # text only: no markup from outside survives
    return content.strip()


def _strip_quote(text: str) -> str:
    match = QUOTE_START.search(text)
    return (text[: match.start()] if match else text).strip() or text.strip()


def _attachments(message: EmailMessage) -> tuple[list, list[str]]:
    kept, refused = [], []
    for part in message.iter_attachments():
        name = part.get_filename() or "attachment"
        upload = SimpleUploadedFile(name, part.get_payload(decode=True) or b"", part.get_content_type())
        try:
            validate_upload(upload)
        except ValidationError as error:
            refused.append(" ".join(error.messages))
            continue
        kept.append(upload)
    return kept, refused


def _ticket_for(message: EmailMessage, subject: str, user) -> Ticket | None:
    references = HEADER_REFERENCE.findall(" ".join(filter(None, [message.get("In-Reply-To"),
                                                                 message.get("References")])))
    references += REFERENCE.findall(subject)
    for reference in references:
        ticket = Ticket.objects.visible_to(user).filter(reference=reference).first()
        if ticket is not None:
            return ticket
    return None


def inbound_receive(raw: bytes) -> InboundEmail:
    """Process one raw RFC 822 message, once per Message-ID; returns the stored record."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(message.get("Subject", ""))[:500]
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    message_id = str(message.get("Message-ID") or "").strip() or "sha256:" + hashlib.sha256(raw).hexdigest()
    existing = InboundEmail.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing
    body = _strip_quote(_text_of(message))
    record = InboundEmail(message_id=message_id[:500], from_address=sender[:254], subject=subject, body=body,
                          raw=raw, status=InboundStatus.UNMATCHED)
    user = User.objects.filter(email__iexact=sender, is_active=True).first() if sender else None
    try:
        with transaction.atomic():
            if user is None:
                record.note = InboundEmail.UNKNOWN_SENDER
            elif message.get("Auto-Submitted", "no").lower() != "no":
                record.note = InboundEmail.AUTOMATIC
            else:
                _route(record, message, subject, body, user)
            record.save()
    except IntegrityError:  # the same Message-ID stored by a concurrent delivery
        return InboundEmail.objects.get(message_id=record.message_id)
    except ActionRefused as error:
        record.status, record.note, record.ticket = InboundStatus.UNMATCHED, str(error.message)[:300], None
        record.save()
    return record


def _route(record: InboundEmail, message: EmailMessage, subject: str, body: str, user) -> None:
    attachments, refused = _attachments(message)
    ticket = _ticket_for(message, subject, user)
    if not body:
        body = _("(empty message)")
    if ticket is not None:
        result = services.followup_add(ticket=ticket, author=user, body=body, is_public=True, attachments=attachments)
        record.status, record.ticket = InboundStatus.FOLLOWUP, result.ticket
    else:
        title = REFERENCE.sub("", subject).strip(" []:-") or _("Message without subject")
        record.ticket = services.ticket_create(
            requester=user, title=title[:200], description=body, ticket_type=TicketType.SUPPORT_REQUEST,
            urgency=Scale.MEDIUM, impact=Scale.MEDIUM, channel=Channel.EMAIL, attachments=attachments,
        )
        record.status = InboundStatus.CREATED
    record.note = "; ".join(refused)[:300]


def inbound_poll_mailbox() -> int:
    """Fetch the unseen messages of the IMAP mailbox (HELPDESK_IMAP_*) and process each once; returns
    how many. A message is stored before it is flagged seen: a crash re-polls it, and its Message-ID
    makes the second pass a no-op."""
    if not settings.HELPDESK_IMAP_HOST:
        return 0
    count = 0
    with imaplib.IMAP4_SSL(settings.HELPDESK_IMAP_HOST, settings.HELPDESK_IMAP_PORT) as mailbox:
        mailbox.login(settings.HELPDESK_IMAP_USER, settings.HELPDESK_IMAP_PASSWORD)
        mailbox.select(settings.HELPDESK_IMAP_FOLDER)
        _status, data = mailbox.search(None, "UNSEEN")
        for number in data[0].split()[:200]:
            _status, parts = mailbox.fetch(number, "(RFC822)")
            inbound_receive(parts[0][1])
            mailbox.store(number, "+FLAGS", "\\Seen")
            count += 1
    return count
