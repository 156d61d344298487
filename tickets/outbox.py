"""The notification outbox, one concept in one module.

A change writes its email as a Notification row in the change's own transaction (`notify`,
`notify_new_events`); once that commits, one broker message asks a worker to send it (`enqueue`). The
worker claims each row by a conditional UPDATE before sending (`deliver`), so a retried task, a
redelivered message or the drain never sends twice; `pending_ids` is what the beat drain
(tickets.tasks.send_pending_notifications) sends again when the broker was down or a worker died.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import forbid_multi_line_headers
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.template import Context, Engine, TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from accounts.people import chosen_language
from accounts.roles import is_agent
from core.broker import publish_ids
from core.db import insert_rows

from .models import Notification, Survey, TicketEvent
from .surveys import survey_url

# A claimed notification whose worker died is claimable again after this long.
CLAIM_TIMEOUT = timedelta(minutes=5)
# The drain leaves the newest rows to their own broker message, and gives up on a row after this many tries.
DRAIN_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 10


# --- Writing: in the change's transaction


def notify(*, event: TicketEvent, recipients: Sequence, template: str) -> None:
    """Write the outbox rows now, in one INSERT; enqueue their sending once the transaction commits.

    Idempotent: a recipient already notified of this event with this template gets no second row.
    """
    rows = _rows([(event, recipients, template)])
    if not rows:
        return
    already = set(
        Notification.objects.filter(event=event, template=template, recipient_id__in=[r for _e, r, _t in rows])
        .values_list("recipient_id", flat=True)
    )
    _write([notification for (_e, recipient, _t), notification in rows.items() if recipient not in already])


def notify_new_events(items: Iterable[tuple[TicketEvent, Sequence, str]]) -> None:
    """notify for many (event, recipients, template) at once, the events created in this transaction:
    none has a notification yet, so the outbox rows of all go in with one INSERT."""
    _write(list(_rows(items).values()))


def _rows(items: Iterable[tuple[TicketEvent, Sequence, str]]) -> dict[tuple, Notification]:
    """One unsaved Notification per (event, recipient with an email, template), keyed by those ids."""
    rows = {}
    for event, recipients, template in items:
        for recipient in recipients:
            if recipient is not None and recipient.email:
                rows[(event.pk, recipient.pk, template)] = Notification(event=event, recipient=recipient,
                                                                        template=template)
    return rows


def _write(notifications: list[Notification]) -> None:
    """Insert the rows; once the transaction commits, one broker message for the rows it wrote.

    A transaction that writes several times (a new ticket's receipt, then the recurring rule's alert to
    N2) publishes once: each write appends its ids to the transaction's list and registers a hook that
    sends the ids of its write and of the writes after it not sent yet; the first hook sends them all,
    the later ones find nothing left. A write whose savepoint rolled back loses its hook, and its ids
    may go with an earlier write's: their rows do not exist, and `deliver` skips a row it cannot claim.
    """
    ids = [notification.pk for notification in insert_rows(notifications)]
    if not ids:
        return
    conn = transaction.get_connection()
    writes = getattr(conn, "_helpdesk_outbox_writes", None)
    if writes is None or not conn.run_on_commit:
        # No hook waits in this transaction: a list of its own (the ids of one that rolled back stay out;
        # a transaction opened by another's after-commit hook sends its own).
        writes = conn._helpdesk_outbox_writes = []
    writes.append(ids)
    position = len(writes) - 1
    transaction.on_commit(lambda: _enqueue_writes(writes, position))


def _enqueue_writes(writes: list[list[int]], position: int) -> None:
    ids = [pk for written in writes[position:] for pk in written]
    writes[position:] = [[] for _written in writes[position:]]
    if ids:
        enqueue(ids)


# --- Sending: after commit, in a worker


def enqueue(notification_ids: list[int]) -> None:
    """A broker message for these notifications, with the ones this process sends meanwhile
    (core.broker.publish_ids). A broker outage loses nothing and does not slow the request: the rows stay
    unsent and the drain sends them (no retry)."""
    from .tasks import send_notifications  # the task module imports this one; this is the way back

    publish_ids(send_notifications, notification_ids, what="{count} notifications")


def pending_ids(*, now=None, limit: int = 500) -> list[int]:
    """Notifications the drain sends again: unsent, old enough, not claimed by a live worker."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS,
                                    created_at__lte=now - DRAIN_AFTER)
        .filter(_claimable(now)).values_list("pk", flat=True)[:limit]
    )


def deliver(notification_id: int) -> str:
    """Claim the notification by a conditional update, send it, mark it sent: "sent" or "skipped" (claimed by
    another, or sent already). A failure to send is recorded on the row, which is claimable again at once, and
    raised, for the caller's retry."""
    sent, failures = deliver_many([notification_id])
    if failures:
        raise failures[notification_id]
    return "sent" if sent else "skipped"


# Notifications claimed and read together: a worker that dies leaves at most this many claimed and unsent, which
# the drain sends once their claim is stale.
DELIVERY_CHUNK = 25


def deliver_many(notification_ids: Sequence[int]) -> tuple[int, dict[int, Exception]]:
    """Send the notifications that can be claimed, over one connection to the mail server, `DELIVERY_CHUNK` at a
    time: one UPDATE claims a chunk (only the rows it changed are sent, so a duplicated task, a redelivered
    message or the drain sends nothing twice), one SELECT reads them with their ticket, event and recipient, one
    their recipients' groups (which choose the link); each email sent is marked sent at once, as `deliver` always
    did. Returns how many were sent and the failures by id: each recorded on its row, claimable again at once.
    An email that does not greet its recipient is rendered once for all its recipients in a language with the same
    link (`build_message`'s `renderings`): a rule's escalation alerts each agent of the next level.

    A task of many ids (the web's coalesced messages, bench/notifications.py) cost four statements and a
    connection to the mail server per email: SMTP's is a TCP and TLS handshake and a login each."""
    connection = get_connection(fail_silently=False)
    sent, failures = 0, {}
    renderings: dict[tuple, tuple[str, str, str, str]] = {}
    try:
        for start in range(0, len(notification_ids), DELIVERY_CHUNK):
            chunk = _claim(notification_ids[start:start + DELIVERY_CHUNK])
            for notification in _claimed(chunk):
                try:
                    message = build_message(notification, renderings=renderings)
                    connection.open()  # kept open for the next ones (nothing to do when it is)
                    message.connection = connection
                    message.send(fail_silently=False)
                except Exception as exc:  # noqa: BLE001 - recorded on the row; the caller retries it alone
                    failures[notification.pk] = exc
                    Notification.objects.filter(pk=notification.pk).update(claimed_at=None,
                                                                           last_error=str(exc)[:2000])
                    _reset(connection)
                else:
                    # Marked at once: a worker that dies now has sent one email the drain will send again.
                    _mark_sent(notification.pk)
                    sent += 1
    finally:
        _reset(connection)
    return sent, failures


def _claim(notification_ids: Sequence[int]) -> list[int]:
    """Claim the notifications unsent and not claimed by a live worker (`_claimable`, written in SQL), in one UPDATE;
    the ids it changed."""
    if not notification_ids:
        return []
    now = timezone.now()
    table, key = _table()
    adapt = db_connection.ops.adapt_datetimefield_value
    placeholders = ", ".join(["%s"] * len(notification_ids))
    with db_connection.cursor() as cursor:
        # RETURNING tells which rows this worker changed (PostgreSQL; SQLite 3.35+, as core.db.insert_rows).
        cursor.execute(
            f"UPDATE {table} SET claimed_at = %s, attempts = attempts + 1 "  # noqa: S608 - the model's own table
            f"WHERE {key} IN ({placeholders}) AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at <= %s) "
            f"RETURNING {key}",
            [adapt(now), *notification_ids, adapt(now - CLAIM_TIMEOUT)])
        claimed = {row[0] for row in cursor.fetchall()}
    return [pk for pk in notification_ids if pk in claimed]


def _mark_sent(notification_id: int) -> None:
    """Mark one notification sent, by a statement written once: the ORM's UPDATE cost more CPU to build than the
    email's rendering once that is shared (bench/notifications.py, session 23: 0.30 ms an email)."""
    table, key = _table()
    with db_connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET sent_at = %s, last_error = '' WHERE {key} = %s",  # noqa: S608 - its table
                       [db_connection.ops.adapt_datetimefield_value(timezone.now()), notification_id])


def _table() -> tuple[str, str]:
    """The outbox's table and primary key, quoted for the statements written by hand."""
    meta, quote = Notification._meta, db_connection.ops.quote_name
    return quote(meta.db_table), quote(meta.pk.column)


def _claimed(notification_ids: list[int]) -> list[Notification]:
    """The claimed notifications, in the order given, ready to render: one SELECT, and one for the recipients'
    groups (accounts.roles reads them from the user object)."""
    if not notification_ids:
        return []
    rows = Notification.objects.select_related(
        "recipient__profile", "event__ticket", "event__actor", "event__followup"
    ).in_bulk(notification_ids)
    groups: dict[int, set[str]] = {row.recipient_id: set() for row in rows.values()}
    for user_id, name in get_user_model().groups.through.objects.filter(user_id__in=groups).values_list(
            "user_id", "group__name"):
        groups[user_id].add(name)
    for row in rows.values():  # each row has its own object for a recipient of several
        row.recipient._helpdesk_groups = frozenset(groups[row.recipient_id])
    return [rows[pk] for pk in notification_ids if pk in rows]


def _reset(connection) -> None:
    """Close the connection to the mail server (after a failure, the next message opens a new one)."""
    with contextlib.suppress(Exception):
        connection.close()


def _claimable(now) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - CLAIM_TIMEOUT)


# --- Rendering


@functools.cache
def _text_engine() -> Engine:
    """Plain-text bodies are not HTML: render them without HTML escaping (the HTML part escapes)."""
    return Engine(
        dirs=[str(d) for d in settings.TEMPLATES[0]["DIRS"]], app_dirs=True, autoescape=False,
        libraries={"i18n": "django.templatetags.i18n", "people": "accounts.templatetags.people"},
    )


def _survey_url(ticket) -> str | None:
    survey = Survey.objects.filter(ticket=ticket).first()
    return survey_url(survey) if survey else None


def _parse_datetime(value):
    return parse_datetime(value) if isinstance(value, str) else None


def _language_of(recipient) -> str:
    """The language the recipient picked in the pages (accounts' Profile.language), else the site's."""
    return chosen_language(recipient) or settings.LANGUAGE_CODE


# The parts of an email, whose renderings depend on the template's context alone: who it greets is the recipient.
_PARTS = ("emails/{name}_subject.txt", "emails/{name}.txt", "emails/{name}.html")
_TEMPLATE_TAG = re.compile(r"{%\s*(extends|include)\s+(\S+)")
_RECIPIENT = re.compile(r"\brecipient\b")
_LOAD = re.compile(r"{%\s*load\s+([^%]*?)\s*%}")
# Tag libraries whose tags read only what they are given (a library of others may read `recipient` from the context).
_PLAIN_LIBRARIES = frozenset({"i18n", "l10n", "tz", "people"})


@functools.cache
def greets_recipient(name: str) -> bool:
    """Whether the email `name` reads its recipient (a greeting by name), in its parts or in a template they extend or
    include: if not, it reads the same for every recipient in a language with the same link, and `deliver_many`
    renders it once for them. A template chosen by a variable, or one that loads a tag library other than
    _PLAIN_LIBRARIES (its tags may read the context), counts as reading it (it cannot be told)."""
    engine, pending, seen = _text_engine(), [part.format(name=name) for part in _PARTS], set()
    while pending:
        template = pending.pop()
        if template in seen:
            continue
        seen.add(template)
        source = _source(engine, template)
        if _RECIPIENT.search(source):
            return True
        for libraries in _LOAD.findall(source):
            names = libraries.split()
            if "from" in names:  # {% load tag from library %}
                names = names[names.index("from") + 1:]
            if not set(names) <= _PLAIN_LIBRARIES:
                return True
        for _tag, argument in _TEMPLATE_TAG.findall(source):
            if argument[:1] not in "\"'" or argument[-1:] != argument[:1]:
                return True
            pending.append(argument[1:-1])
    return False


def _source(engine: Engine, name: str) -> str:
    """The text of a template as the engine finds it, not compiled (its tag libraries may be another engine's)."""
    for loader in engine.template_loaders:
        for origin in loader.get_template_sources(name):
            try:
                return origin.loader.get_contents(origin)
            except TemplateDoesNotExist:
                continue
    raise TemplateDoesNotExist(name)


def build_message(notification: Notification, *, renderings: dict | None = None) -> EmailMultiAlternatives:
    """The email of an outbox row, in its recipient's language, linking to the page they work on. With `renderings`
    (a dict kept by the caller across rows), the subject and bodies of an email that does not greet its recipient are
    rendered once per event, template, language and link, and taken from there for the next recipients."""
    event = notification.event
    ticket = event.ticket
    recipient = notification.recipient
    base = settings.HELPDESK_BASE_URL
    url = base + (ticket.get_agent_url() if is_agent(recipient) else ticket.get_absolute_url())
    language = _language_of(recipient)
    name = notification.template
    key = None
    if renderings is not None and not greets_recipient(name):
        key = (event.pk, name, language, url)
    parts = renderings.get(key) if key is not None else None
    if parts is None:
        parts = _render(notification, url=url, language=language)
        if key is not None:
            renderings[key] = parts
    subject, encoded_subject, text, html = parts
    message = _Email(
        subject=subject, body=text, to=[recipient.email],
        headers={"X-Helpdesk-Ticket": ticket.reference,
                 "References": f"<{ticket.reference}@helpdesk>"},
        encoded_subject=encoded_subject,
    )
    message.attach_alternative(html, "text/html")
    return message


class _Email(EmailMultiAlternatives):
    """An email whose Subject header was encoded with its rendering, once for all the recipients who share it.

    Python encodes a subject with accents (RFC 2047) by measuring it again for each character it adds: 0.15 to 0.2 ms
    of the 0.2 to 0.35 that building an email's MIME message costs (bench/notifications.py, session 23). The value is
    Django's own (`forbid_multi_line_headers`, which refuses a newline), put in place of the subject Django would
    encode again."""

    def __init__(self, *args, encoded_subject: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoded_subject, self._encoded_from = encoded_subject, self.subject

    def message(self):
        if self.subject != self._encoded_from:  # changed since: Django encodes it
            return super().message()
        subject, self.subject = self.subject, ""  # ASCII and empty: nothing to encode
        try:
            message = super().message()
        finally:
            self.subject = subject
        message.replace_header("Subject", self.encoded_subject)
        return message


def _render(notification: Notification, *, url: str, language: str) -> tuple[str, str, str, str]:
    """The subject (as written and as its header is encoded), the text and the HTML of the email, in `language`."""
    event = notification.event
    ticket = event.ticket
    context = {
        "ticket": ticket,
        "event": event,
        "recipient": notification.recipient,
        "url": url,
        "base_url": settings.HELPDESK_BASE_URL,
        "followup": event.followup if event.followup_id and event.followup.is_public else None,
        "data": event.data,
        "due_at": _parse_datetime(event.data.get("due_at")),
        "survey_url": _survey_url(ticket) if notification.template == "survey" else None,
    }
    with translation.override(language):
        name = notification.template
        engine = _text_engine()
        subject = engine.get_template(f"emails/{name}_subject.txt").render(Context(context, autoescape=False))
        subject = " ".join(subject.split())
        text = engine.get_template(f"emails/{name}.txt").render(Context(context, autoescape=False))
        html = render_to_string(f"emails/{name}.html", context)
    _name, encoded_subject = forbid_multi_line_headers("Subject", subject, settings.DEFAULT_CHARSET)
    return subject, encoded_subject, text, html
