"""The settings whose every creation, change and deletion the audit log records (audit.receivers): the
SLA policies, targets, calendars, working hours and holidays, the escalation rules, each level's
automatic assignment, the retention rules, the webhook endpoints and the directory mappings.

By label, so that the audit log imports none of the apps it watches (docs/architecture.md): an app adds
its settings model here. The entry names the object (type and id) and the fields that changed, never
their values."""

AUDITED_MODELS = (
    "sla.BusinessCalendar",
    "sla.WorkingHours",
    "sla.Holiday",
    "sla.SlaPolicy",
    "sla.SlaTarget",
    "escalation.EscalationRule",
    "dispatch.LevelSetting",
    "privacy.RetentionRule",
    "webhooks.WebhookEndpoint",
    "accounts.DirectoryRoleMapping",
    "accounts.DirectoryOrganisationMapping",
)
