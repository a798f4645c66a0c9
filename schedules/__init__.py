"""Scheduled jobs (SPEC §5): one module per job."""
