"""Writes of the privacy app (docs/gdpr.md): the export archive, the anonymisation of people, retention.

Anonymisation is the one writer that reaches into every app's text columns: erasure must find a person's
name wherever it was copied (a followup, a webhook payload, an admin log line), which no owning service
could know. It rewrites only the matching rows, in batches, by one bulk UPDATE per model.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Profile
from accounts.selectors import AGENTS, GROUP_MEMBERS
from api.models import ApiToken
from audit.models import Action, AuditEntry
from core.broker import publish
from core.cache import invalidate
from core.db import update_rows
from core.exceptions import ActionRefused
from postmortem.models import IncidentFollower
from tickets import personal_texts
from tickets.models import (
    Attachment,
    EventKind,
    Followup,
    InboundEmail,
    Notification,
    Survey,
    Ticket,
    TicketEvent,
)

from . import selectors
from .detect import KINDS
from .models import (
    IN_FLIGHT,
    Anonymisation,
    ExportStatus,
    PersonalDataExport,
    RetentionAction,
    RetentionRule,
)

BATCH = 100
WRITE_BATCH = 500
AGENT_GROUPS = ("N1", "N2", "N3", "N4", "Manager")
# Tables whose text is code, not people's words. The audit log holds ids, codes and counts only (its user
# agent is the browser's own header) and is append-only: its entries keep pointing at the pseudonym.
SKIPPED_MODELS = {"contenttypes.contenttype", "auth.permission", "auth.group", "sessions.session",
                  "audit.auditentry"}


# --- Export (right of access) ---------------------------------------------------------------------

def personal_data_export(*, user, progress: Callable[[int], None] | None = None) -> bytes:
    """The ZIP of everything about `user`: data.json, summary.html and the files they uploaded.

    `progress(percent)` is called as the parts are written (the data first, then each file)."""
    report = progress or (lambda percent: None)
    data = selectors.personal_data(user)
    report(20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("summary.html", render_to_string("privacy/summary.html", {"data": data}))
        report(30)
        attachments = selectors.export_attachments(user)
        for index, attachment in enumerate(attachments, start=1):
            try:
                with attachment.file.open("rb") as handle:
                    archive.writestr(selectors.attachment_member(attachment), handle.read())
            except (FileNotFoundError, ValueError):
                pass  # a file already removed by retention: its row still says it existed
            report(30 + 65 * index // len(attachments))
    return buffer.getvalue()


def personal_data_export_to_media(*, user) -> str:
    """Write the export under MEDIA_ROOT/exports/ with an unguessable name; the storage name."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils.crypto import get_random_string

    name = f"exports/{timezone.now():%Y%m%d}-{get_random_string(32)}.zip"
    return default_storage.save(name, ContentFile(personal_data_export(user=user)))


def exports_purge(*, now=None) -> int:
    """Delete the exports written more than a day ago (their links no longer work); how many."""
    from django.core.files.storage import default_storage

    now = now or timezone.now()
    limit = now - timedelta(days=1)
    PersonalDataExport.objects.filter(expires_at__lte=now).exclude(file="").update(file="")
    try:
        _dirs, files = default_storage.listdir("exports")
    except FileNotFoundError:
        return 0
    old = [name for name in files if default_storage.get_modified_time(f"exports/{name}") < limit]
    for name in old:
        default_storage.delete(f"exports/{name}")
    return len(old)


# An export asked for from the person's page: one in flight per person; one still pending or running
# after this long was lost (a killed worker) and no longer blocks a new one.
EXPORT_STALE_AFTER = timedelta(hours=1)
EXPORT_VALID_FOR = timedelta(days=1)


@transaction.atomic
def personal_data_export_request(*, user, requested_by=None) -> PersonalDataExport:
    """Record that `user`'s export is wanted and, after commit, ask a worker to build it.

    Refused (ActionRefused) while another export of theirs is pending or running: the person's row is
    locked first, so two clicks at once make one export."""
    user_model = get_user_model()
    user = user_model.objects.select_for_update().get(pk=user.pk)
    now = timezone.now()
    if PersonalDataExport.objects.filter(user=user, status__in=IN_FLIGHT,
                                         created_at__gt=now - EXPORT_STALE_AFTER).exists():
        raise ActionRefused(_("An export of your data is already being prepared. Wait until it is ready."))
    export = PersonalDataExport.objects.create(user=user, requested_by=requested_by or user, created_at=now)
    AuditEntry.objects.record(Action.EXPORT_REQUESTED, actor=requested_by or user, subject=user, obj=export)
    transaction.on_commit(lambda: _publish_export(export.pk))
    return export


def _publish_export(export_id: int) -> bool:
    from . import tasks  # the one way back from services to tasks (docs/architecture.md)

    return publish(tasks.build_personal_data_export, export_id, what="personal data export")


def personal_data_export_build(*, export_id: int) -> PersonalDataExport | None:
    """Build a requested export: claim it (pending → running, a conditional UPDATE, so a redelivered
    message builds nothing twice), write the ZIP under MEDIA_ROOT/exports/ reporting the progress on the
    row, then mark it ready until a day from now. None when there was nothing to claim.

    On an error the claim is released (pending again) and the error raised, for the task to retry."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils.crypto import get_random_string

    rows = PersonalDataExport.objects.filter(pk=export_id)
    now = timezone.now()
    if not rows.filter(status=ExportStatus.PENDING).update(status=ExportStatus.RUNNING, started_at=now, progress=1):
        return None
    export = rows.select_related("user").get()
    shown = [1]

    def progress(percent: int) -> None:
        if percent - shown[0] >= 5:  # an UPDATE per 5 %, not per file
            shown[0] = percent
            rows.update(progress=percent)

    try:
        blob = personal_data_export(user=export.user, progress=progress)
        name = default_storage.save(f"exports/{now:%Y%m%d}-{get_random_string(32)}.zip", ContentFile(blob))
    except Exception:
        rows.filter(status=ExportStatus.RUNNING).update(status=ExportStatus.PENDING, progress=0)
        raise
    done = timezone.now()
    rows.update(status=ExportStatus.READY, progress=100, file=name, size=len(blob), finished_at=done,
                expires_at=done + EXPORT_VALID_FOR)
    export.refresh_from_db()
    return export


def personal_data_export_fail(*, export_id: int) -> None:
    """The task gave up: the export is marked failed (the person may ask again at once)."""
    PersonalDataExport.objects.filter(pk=export_id, status__in=IN_FLIGHT).update(
        status=ExportStatus.FAILED, finished_at=timezone.now())


def personal_data_exports_resend(*, now=None) -> int:
    """Ask again for the exports still pending a minute after they were asked for (the broker was down
    when they were); how many. The beat entry `send-pending-exports`."""
    now = now or timezone.now()
    pending = list(PersonalDataExport.objects.filter(
        status=ExportStatus.PENDING, created_at__lte=now - timedelta(minutes=1),
        created_at__gt=now - EXPORT_STALE_AFTER).values_list("pk", flat=True))
    for pk in pending:
        _publish_export(pk)
    return len(pending)


# --- Anonymisation (right to erasure) -----------------------------------------------------------

def pseudonym_code(pk: int) -> str:
    """Stable for a person, the same on every run: the start of a hash of the primary key."""
    return hashlib.sha256(f"helpdesk-person-{pk}".encode()).hexdigest()[:6].upper()


def _is_agent(user) -> bool:
    return user.is_staff or user.groups.filter(name__in=AGENT_GROUPS).exists()


def _phone_pattern(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    variants = {digits, "33" + digits[1:] if digits.startswith("0") else digits}
    # The digits with any spaces, dots, dashes between them, with or without +33 / 0.
    sep = r"[\s.\-]?"
    return "|".join(sep.join(re.escape(d) for d in variant) for variant in sorted(variants, key=len, reverse=True)) \
        + "|" + re.escape(phone.strip())


@dataclass
class _Person:
    user: object
    pseudonym: str
    strong: list[str]  # found anywhere: full name, email, phone, username
    weak: list[str]  # first or last name alone: only in the person's own tickets
    terms: list[str]  # what a row must contain to be searched (taken before the person is rewritten)
    pattern: re.Pattern = field(init=False)
    scoped: re.Pattern = field(init=False)

    def __post_init__(self):
        self.pattern = re.compile("|".join(f"(?<!\\w)(?:{term})(?!\\w)" for term in self.strong), re.IGNORECASE)
        both = self.strong + self.weak
        self.scoped = re.compile("|".join(f"(?<!\\w)(?:{term})(?!\\w)" for term in both), re.IGNORECASE)


def _person(user) -> _Person:
    profile = Profile.objects.filter(user=user).first()
    code = pseudonym_code(user.pk)
    with translation.override(settings.LANGUAGE_CODE):
        pseudonym = (_("former agent #%(code)s") if _is_agent(user) else _("Requester #%(code)s")) % {"code": code}
    strong, weak = [], []
    first, last = user.first_name.strip(), user.last_name.strip()
    if first and last:
        strong += [re.escape(f"{first} {last}"), re.escape(f"{last} {first}")]
    if user.email:
        strong.append(re.escape(user.email))
    if profile and profile.phone:
        pattern = _phone_pattern(profile.phone)
        if pattern:
            strong.append(pattern)
    if len(user.username) >= 5:
        strong.append(re.escape(user.username))
    weak += [re.escape(name) for name in (first, last) if len(name) >= 2]
    strong = strong or [re.escape(f"\0{user.pk}\0")]
    return _Person(user=user, pseudonym=pseudonym, strong=strong, weak=weak,
                   terms=_candidate_terms(user, profile.phone if profile else ""))


def _scrub(value, pattern: re.Pattern, replacement: str):
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_scrub(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern, replacement) for key, item in value.items()}
    return value


def _search_terms(people: Sequence[_Person]) -> list[str]:
    return [term for term in dict.fromkeys(t for person in people for t in person.terms) if term]


def _candidate_terms(user, phone: str) -> list[str]:
    """Plain substrings that a row must contain (case-insensitively) to be worth a regex pass."""
    terms = [t for t in (user.email, f"{user.first_name} {user.last_name}".strip(),
                         f"{user.last_name} {user.first_name}".strip()) if t and (" " in t or "@" in t)]
    if len(user.username) >= 5:
        terms.append(user.username)
    phone = phone.strip()
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 6:
        national = "0" + digits[2:] if digits.startswith("33") and len(digits) == 11 else digits
        grouped = " ".join(national[i:i + 2] for i in range(0, len(national), 2))
        terms += [phone, digits, national, grouped, grouped.replace(" ", "."), grouped.replace(" ", "-"),
                  f"+33{national[1:]}", "+33 " + " ".join([national[1]] + [national[i:i + 2]
                                                                         for i in range(2, len(national), 2)])]
    return terms


def _text_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)) and not f.primary_key
            and not f.choices]


def _mentions(people: Sequence[_Person], exclude_users: set[int]) -> dict[type, list[int]]:
    """The rows of every model with a text column that contains one of the people's search terms
    (case-insensitively): {model: [pk, …]}.

    One pass over each table, whatever the number of people: the rows' text is read in chunks and
    searched for every term at once by an Aho-Corasick automaton (linear in the text). An OR of one
    ILIKE per term and column, or one regular expression of all the terms, costs rows × terms in the
    database: hours for a batch of people at a million tickets (bench/retention.py)."""
    import ahocorasick

    terms = _search_terms(people)
    if not terms:
        return {}
    automaton = ahocorasick.Automaton()
    for term in terms:
        automaton.add_word(term.lower(), True)
    automaton.make_automaton()
    found: dict[type, list[int]] = {}
    user_model = get_user_model()
    for model in apps.get_models():
        if model._meta.label_lower in SKIPPED_MODELS or model._meta.proxy:
            continue
        fields = _text_fields(model)
        if not fields:
            continue
        # JSON is read as its text (no decoding of millions of history rows to find a few).
        names = {f.name: (Cast(f.name, models.TextField()) if isinstance(f, models.JSONField) else None)
                 for f in fields}
        rows = model._default_manager.annotate(**{f"_privacy_{n}": e for n, e in names.items() if e is not None})
        if model is user_model:
            rows = rows.exclude(pk__in=exclude_users)
        columns = [f"_privacy_{n}" if e is not None else n for n, e in names.items()]
        hits = []
        for pk, *values in rows.order_by().values_list("pk", *columns).iterator(chunk_size=10000):
            text = "\n".join(value for value in values if value).lower()
            if text:
                for _match in automaton.iter(text):
                    hits.append(pk)
                    break
        if hits:
            found[model] = hits
    return found


def _scrub_everywhere(people: Sequence[_Person], exclude_users: set[int],
                      mentions: dict[type, list[int]] | None = None) -> int:
    """Replace the people's strong identifiers in every text column of every model; rows changed.

    `mentions` (from `_mentions`, which finds them when not given) are the rows to read: a run of
    retention finds them once for all its people, and each batch rewrites the rows with its own."""
    if mentions is None:
        mentions = _mentions(people, exclude_users)
    changed = 0
    for model, pks in mentions.items():
        fields = _text_fields(model)
        for chunk in _batches(pks, BATCH):
            dirty = []
            for row in model._default_manager.filter(pk__in=chunk).order_by("pk"):
                touched = False
                for f in fields:
                    value = getattr(row, f.attname)
                    new = value
                    for person in people:
                        new = _scrub(new, person.pattern, person.pseudonym)
                    if new != value:
                        setattr(row, f.attname, new)
                        touched = True
                if touched:
                    dirty.append(row)
            if dirty:
                model._default_manager.bulk_update(dirty, [f.name for f in fields])
                changed += len(dirty)
    return changed


def _rewrite(rows: Iterable[models.Model], fields: Sequence[str], person_of: Callable) -> int:
    """Replace the person's names (first and last alone too) in `fields` of their own rows; write the
    changed rows only, WRITE_BATCH at a time (core.db.update_rows: one statement each); how many."""
    changed = []
    for row in rows:
        person = person_of(row)
        touched = False
        for name in fields:
            value = getattr(row, name)
            new = person.scoped.sub(person.pseudonym, value) if value else value
            if new != value:
                setattr(row, name, new)
                touched = True
        if touched:
            changed.append(row)
    for batch in _batches(changed, WRITE_BATCH):
        update_rows(batch, fields)
    return len(changed)


def _batches(iterable: Iterable, size: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def attachments_delete(attachments: Iterable[Attachment]) -> int:
    """Delete the rows and, once committed, their files."""
    attachments = list(attachments)
    names = [a.file.name for a in attachments if a.file.name]
    storage = Attachment._meta.get_field("file").storage
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def remove_files():
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return len(attachments)


@dataclass
class AnonymiseResult:
    users: list[int]
    rows_rewritten: int
    attachments_deleted: int
    notifications_deleted: int


@transaction.atomic
def people_anonymise(*, users: Sequence, actor=None, mentions: dict[type, list[int]] | None = None) -> AnonymiseResult:
    """Replace each person by a stable pseudonym everywhere (set-based; a batch of people at once).

    `mentions`: the rows naming them elsewhere, when the caller found them already (`_mentions`)."""
    user_model = get_user_model()
    users = list(user_model.objects.select_for_update().filter(pk__in=[u.pk for u in users]).order_by("pk"))
    people = [_person(user) for user in users]
    pks = [user.pk for user in users]
    emails = [user.email for user in users if user.email]

    # Their own tickets, with the first and last names alone too (a "Bonjour Alice" in a reply).
    # Only the rows that change are written (most of a person's tickets never name them).
    by_requester = {person.user.pk: person for person in people}
    ticket_texts = ("title", "description", "solution", "root_cause")
    # Whole rows: the history line recorded on each below hands them to the receivers of events_recorded.
    tickets = list(Ticket.objects.filter(requester_id__in=pks).order_by("pk"))
    _rewrite(tickets, ticket_texts, lambda ticket: by_requester[ticket.requester_id])
    ticket_owner = {ticket.pk: by_requester[ticket.requester_id] for ticket in tickets}
    followups = Followup.objects.filter(ticket_id__in=ticket_owner).only("pk", "ticket_id", "body").order_by("pk")
    _rewrite(followups, ("body",), lambda followup: ticket_owner[followup.ticket_id])
    surveys = Survey.objects.filter(ticket_id__in=ticket_owner).only("pk", "ticket_id", "comment")
    _rewrite(surveys, ("comment",), lambda survey: ticket_owner[survey.ticket_id])
    # What they typed when they followed an incident ("me too"): their own words, like a ticket's title.
    follows = IncidentFollower.objects.filter(user_id__in=pks).only("pk", "user_id", "query").order_by("pk")
    _rewrite(follows, ("query",), lambda follow: by_requester[follow.user_id])
    # What other apps keep about her tickets, typed by a person (tickets.personal_texts: the dispatch's
    # refusal reasons), and the copies of those texts in her tickets' history (an assignment's reason).
    for text in personal_texts.registered():
        model = apps.get_model(text.model)
        key = model._meta.get_field(text.ticket_field).attname
        rows = (model._default_manager.filter(**{f"{key}__in": list(ticket_owner)})
                .only("pk", key, *text.fields).order_by("pk"))
        _rewrite(rows, text.fields, lambda row, key=key: ticket_owner[getattr(row, key)])
    assigned = list(TicketEvent.objects.filter(ticket_id__in=list(ticket_owner), kind=EventKind.ASSIGNED,
                                               data__why__has_key="refusal").only("pk", "ticket_id", "data"))
    for event in assigned:
        person = ticket_owner[event.ticket_id]
        event.data = _scrub(event.data, person.scoped, person.pseudonym)
    TicketEvent.objects.bulk_update(assigned, ["data"], batch_size=BATCH)

    # Their mail: the raw message (headers, encoded parts) cannot be searched reliably, so it is
    # replaced by its scrubbed text; the address becomes an empty one.
    mails = list(InboundEmail.objects.filter(models.Q(ticket_id__in=ticket_owner) | models.Q(from_address__in=emails)))
    for mail in mails:
        person = ticket_owner.get(mail.ticket_id) or next(
            (p for p in people if p.user.email and p.user.email.lower() == mail.from_address.lower()), None)
        if person is None:
            continue
        mail.subject = person.scoped.sub(person.pseudonym, mail.subject)
        mail.body = person.scoped.sub(person.pseudonym, mail.body)
        mail.from_address = f"anonymised-{pseudonym_code(person.user.pk).lower()}@invalid"
        mail.raw = mail.body.encode()
    InboundEmail.objects.bulk_update(mails, ["subject", "body", "from_address", "raw"], batch_size=BATCH)

    notifications, _detail = Notification.objects.filter(recipient_id__in=pks, sent_at__isnull=True).delete()
    deleted = attachments_delete(Attachment.objects.filter(uploaded_by_id__in=pks))
    ApiToken.objects.filter(user_id__in=pks).delete()

    for user, person in zip(users, people, strict=True):
        code = pseudonym_code(user.pk)
        user.username = f"anonyme-{code.lower()}-{user.pk}"
        user.first_name, _sep, user.last_name = person.pseudonym.rpartition(" ")
        user.email = ""
        user.is_active = False
        user.set_unusable_password()
    user_model.objects.bulk_update(users, ["username", "first_name", "last_name", "email", "is_active", "password"])
    invalidate(GROUP_MEMBERS, AGENTS)  # bulk_update sends no signal: the cached people drop them now
    Profile.objects.filter(user_id__in=pks).update(phone="")

    rewritten = _scrub_everywhere(people, exclude_users=set(pks), mentions=mentions)
    Anonymisation.objects.bulk_create([Anonymisation(user=user) for user in users], ignore_conflicts=True)
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("personal data anonymised")
    if tickets:
        TicketEvent.objects.record_many([(ticket, EventKind.NOTE, {"reason": reason, "privacy": "anonymised"})
                                         for ticket in tickets], actor=actor, public=False)
    AuditEntry.objects.record_many(AuditEntry.objects.entry(Action.ANONYMISED, actor=actor, subject=pk, obj=user)
                                   for pk, user in zip(pks, users, strict=True))
    return AnonymiseResult(users=pks, rows_rewritten=rewritten, attachments_deleted=deleted,
                           notifications_deleted=notifications)


def personal_data_anonymise(*, user, actor=None) -> AnonymiseResult:
    """Anonymise one person: a batch of one."""
    return people_anonymise(users=[user], actor=actor)


# --- Retention ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetentionStep:
    rule: int
    action: str
    target: int  # a user's pk (anonymise) or an attachment's pk
    ticket: str

    def line(self) -> str:
        if self.action == RetentionAction.ANONYMISE_REQUESTERS:
            return f"rule {self.rule}: anonymise user {self.target} (ticket {self.ticket})"
        return f"rule {self.rule}: delete attachment {self.target} (ticket {self.ticket})"


def _rule_scope(rule: RetentionRule, now) -> models.Q:
    """The tickets a rule is about: closed for `days`, of its category and type if it names them."""
    scope = models.Q(closed_at__isnull=False, closed_at__lte=now - timedelta(days=rule.days))
    if rule.category_id:
        scope &= models.Q(category_id=rule.category_id)
    if rule.ticket_type:
        scope &= models.Q(ticket_type=rule.ticket_type)
    return scope


def _rule_tickets(rule: RetentionRule, now):
    return Ticket.objects.filter(_rule_scope(rule, now))


def retention_plan(*, now=None) -> list[RetentionStep]:
    """What a run does now, in order; the same list the dry run prints.

    Set-based: one query per rule. The anonymisation rule groups the tickets by requester in one pass
    (a hash aggregate over the table): a requester is eligible when at least one of their tickets is in the
    rule's scope and none is open or closed within the rule's days; the first ticket in scope (MIN(id)) is
    the reason shown. Only requesters count (active, not staff, in no group, not anonymised yet)."""
    now = now or timezone.now()
    user_model = get_user_model()
    steps, seen_users, seen_files = [], set(), set()
    requesters = (user_model.objects.filter(is_active=True, is_staff=False)
                  .exclude(models.Exists(user_model.groups.through.objects.filter(user_id=models.OuterRef("pk"))))
                  .exclude(pk__in=Anonymisation.objects.values("user_id")).values("pk"))
    for rule in RetentionRule.objects.filter(is_active=True).order_by("pk"):
        if rule.action == RetentionAction.ANONYMISE_REQUESTERS:
            recent = models.Q(closed_at__isnull=True) | models.Q(closed_at__gt=now - timedelta(days=rule.days))
            firsts = dict(Ticket.objects.filter(requester_id__in=requesters).values("requester_id")
                          .annotate(first=models.Min("pk", filter=_rule_scope(rule, now)),
                                    recent=models.Count("pk", filter=recent))
                          .filter(first__isnull=False, recent=0).order_by("requester_id")
                          .values_list("requester_id", "first"))
            references = dict(Ticket.objects.filter(pk__in=firsts.values()).values_list("pk", "reference"))
            for user_id, first in firsts.items():
                if user_id not in seen_users:
                    seen_users.add(user_id)
                    steps.append(RetentionStep(rule.pk, rule.action, user_id, references[first]))
        else:
            rows = (Attachment.objects.filter(ticket__in=_rule_tickets(rule, now)).order_by("pk")
                    .values_list("pk", "ticket__reference"))
            for pk, reference in rows:
                if pk not in seen_files:
                    seen_files.add(pk)
                    steps.append(RetentionStep(rule.pk, rule.action, pk, reference))
    return steps


def audit_purge_cutoff(now=None):
    """Audit entries older than this go at the next retention run; None when they are kept for ever
    (HELPDESK_AUDIT_RETENTION_DAYS = 0)."""
    days = settings.HELPDESK_AUDIT_RETENTION_DAYS
    return (now or timezone.now()) - timedelta(days=days) if days > 0 else None


def audit_purge_count(now=None) -> int:
    cutoff = audit_purge_cutoff(now)
    return 0 if cutoff is None else AuditEntry.objects.filter(at__lt=cutoff).count()


def _record_retention_run(steps: Sequence[RetentionStep], *, dry_run: bool, purged: int) -> None:
    """The run's one audit entry, with its counts (a dry run's too: what it would do)."""
    counts = {"dry_run": dry_run,
              "people_anonymised": sum(s.action == RetentionAction.ANONYMISE_REQUESTERS for s in steps),
              "attachments_deleted": sum(s.action == RetentionAction.DELETE_ATTACHMENTS for s in steps),
              "audit_entries_purged": purged}
    AuditEntry.objects.record(Action.RETENTION_RUN, actor=None, details=counts)


def retention_run(*, dry_run: bool = False, now=None) -> list[RetentionStep]:
    """Apply the rules in batches of BATCH people or files (one transaction and a bounded number of
    statements each), then purge the audit entries older than HELPDESK_AUDIT_RETENTION_DAYS (the only
    deletion of the audit log) and record the run in it; the steps done (or, dry, to do)."""
    steps = retention_plan(now=now)
    if dry_run:
        _record_retention_run(steps, dry_run=True, purged=audit_purge_count(now))
        return steps
    users = [s.target for s in steps if s.action == RetentionAction.ANONYMISE_REQUESTERS]
    files = [s.target for s in steps if s.action == RetentionAction.DELETE_ATTACHMENTS]
    user_model = get_user_model()
    for batch in _batches(files, BATCH):
        with transaction.atomic():
            attachments_delete(Attachment.objects.filter(pk__in=batch))
    if users:
        # Where else they are named: one pass over the tables for all of them, read before the batches
        # (their own tickets are rewritten inside each batch's transaction, whatever this finds).
        everyone = list(user_model.objects.filter(pk__in=users))
        mentions = _mentions([_person(user) for user in everyone], exclude_users=set(users))
        for batch in _batches(users, BATCH):
            people_anonymise(users=list(user_model.objects.filter(pk__in=batch)), mentions=mentions)
    cutoff = audit_purge_cutoff(now)
    with transaction.atomic(savepoint=False):
        purged = AuditEntry.objects.purge_before(cutoff) if cutoff is not None else 0
        _record_retention_run(steps, dry_run=False, purged=purged)
    return steps


# --- Personal data in free text -----------------------------------------------------------------

@transaction.atomic
def ticket_redact(*, ticket: Ticket, actor, target: str) -> list[str]:
    """Mask what `privacy.detect` finds in the ticket's description ("description") or one of its
    followups ("followup:<id>"); the kinds masked (nothing is written when nothing is found)."""
    from django.db.models import F

    from .detect import redact as _redact

    def redact(text: str):
        with translation.override(settings.LANGUAGE_CODE):  # stored text: in the site's language
            return _redact(text)

    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if target == "description":
        text, findings = redact(ticket.description)
        if findings:
            Ticket.objects.filter(pk=ticket.pk).update(description=text, version=F("version") + 1)
    elif target.startswith("followup:") and target.removeprefix("followup:").isdigit():
        followup = Followup.objects.filter(ticket=ticket, pk=int(target.removeprefix("followup:"))).first()
        if followup is None:
            return []
        text, findings = redact(followup.body)
        if findings:
            Followup.objects.filter(pk=followup.pk).update(body=text)
    else:
        return []
    kinds = sorted({finding.kind for finding in findings})
    if kinds:
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("personal data masked")
        TicketEvent.objects.record(ticket=ticket, kind=EventKind.NOTE, actor=actor, public=False,
                                   data={"reason": reason, "privacy": "redacted", "kinds": kinds})
        AuditEntry.objects.record(Action.REDACTED, actor=actor, subject=ticket.requester_id, obj=ticket,
                                  details={"target": target, "kinds": kinds})
    return kinds


ARRIVAL_KINDS = frozenset({"card"})  # what HELPDESK_REDACT_CARDS_ON_ARRIVAL masks


def text_mask_cards(text: str) -> tuple[str, list[str]]:
    """`text` with its card numbers (Luhn-valid) replaced by "[numéro de carte]" (the site's language,
    as it is stored), and the kinds masked; an IBAN or a NIR is never taken for a card."""
    from .detect import redact

    if not text:
        return text, []
    with translation.override(settings.LANGUAGE_CODE):
        masked, findings = redact(text, kinds=ARRIVAL_KINDS)
    return masked, sorted({finding.kind for finding in findings})


def text_masked_on_arrival_record(*, ticket: Ticket, kinds: Sequence[str]) -> None:
    """The timeline's private mark that something was masked as it arrived (by the system)."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("personal data masked on arrival: %(kinds)s") % {
            "kinds": ", ".join(str(KINDS[kind]) for kind in kinds)}
    TicketEvent.objects.record(ticket=ticket, kind=EventKind.NOTE, actor=None, public=False,
                               data={"reason": reason, "privacy": "redacted", "kinds": list(kinds),
                                     "automatic": True})
