"""Deficiency reports (SPEC §9): filing and numbering, the lifecycle, the SLA clock, the
conversation, attachments, unit status history and fleet readiness; one module each."""
