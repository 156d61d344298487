from django.dispatch import Signal

# Sent with breaches= [(ticket, target ("response" or "resolution"), event (the ticket's history
# event)), …] inside the sweep's transaction, for the breaches of a batch, each once per ticket and target.
# Receivers: escalation (SLA breach → next level, managers notified).
sla_breached = Signal()
