from django.dispatch import Signal

# Sent with ticket=, target= ("response" or "resolution"), event= (the SlaEvent) inside the sweep's
# transaction when a breach is recorded, once per ticket and target.
# Receivers: escalation (SLA breach → next level, managers notified).
sla_breached = Signal()
