"""The plumbing every feature stands on: settings, the database session and its one country
scope, who is asking, errors and statuses, limits, hardening, migrations, backups, the scheduler.
It knows no feature."""
