"""The command line of SPEC §4, as Flask CLI commands (`flask --app service …`).

What it says to people is in the language of the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`:
Korean when it starts with `ko`, else English, SPEC §12); what programs read (a token, JSON,
ids) is the same in every language.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from marshmallow import ValidationError
from sqlmodel import select

from models import Role, User
from service.core.db import get_engine, session_scope
from service.domain.errors import DomainError


def language() -> str:
    """The environment's language: the first of LC_ALL, LC_MESSAGES, LANG that is set."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def _(msgid: str, **values: Any) -> str:
    """`msgid` in the environment's language (the catalogue of service/translations/)."""
    lang = language()
    if lang == "en":  # the msgids are English: no catalogue to load (a web worker imports this)
        text = msgid
    else:
        from service.core.i18n import catalogue

        text = catalogue(lang).gettext(msgid)
    return text % values if values else text


db_cli = AppGroup("db", help=_("Database schema."))
users_cli = AppGroup("users", help=_("Users and their tokens."))
surveys_cli = AppGroup("surveys", help=_("Satisfaction surveys."))
reports_cli = AppGroup("reports", help=_("Monthly PDF reports."))
reminders_cli = AppGroup("reminders", help=_("Service reminders (the scheduler's daily job)."))


@db_cli.command("upgrade", help=_("Create or migrate the database (Alembic)."))
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    from service.core.migrate import upgrade

    upgrade(current_app, revision)
    click.echo(_("database at %(revision)s", revision=revision))


@db_cli.command("backup",
                help=_("Copy the embedded SQLite database to PATH while the service runs (online backup)."))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(path: Path) -> None:
    from service.core import backup

    try:
        done = backup.backup(get_engine(current_app), path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("backed up to %(path)s (%(bytes)s bytes, %(tables)s tables, integrity ok)",
                 path=done.path, bytes=done.bytes, tables=done.tables))


@db_cli.command("restore",
                help=_("Replace the embedded SQLite database with the backup at PATH (checked first)."))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help=_("Confirm: the current data is replaced by the backup."))
def db_restore(path: Path, yes: bool) -> None:
    from service.core import backup

    if not yes:
        raise click.ClickException(_("This replaces every record with the backup's; add --yes to do it"))
    try:
        done = backup.restore(get_engine(current_app), path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("restored %(path)s from %(backup)s (%(tables)s tables, integrity ok)",
                 path=done.path, backup=path, tables=done.tables))


@click.command("seed-demo", help=_("Load a realistic demo data set (prints the demo logins)."))
@with_appcontext
@click.option("--size", type=click.Choice(["small", "bench"]), default="small", show_default=True)
@click.option("--if-empty", is_flag=True, help=_("Do nothing when the database already has data."))
@click.option("--years", type=click.IntRange(min=1), default=None,
              help=_("Keep only the last YEARS years of the service history (the benchmark's 1-year set)."))
@click.option("--reports", type=click.IntRange(min=0), default=None,
              help=_("Make the last N months' reports, as the monthly job would have "
                     "(default: 3 for the small set, none for the bench set)."))
def seed_demo(size: str, if_empty: bool, years: int | None, reports: int | None) -> None:
    from flask_babel import force_locale

    from service.core.migrate import is_current
    from service.domain import demo
    from service.domain.reports import Options

    engine = get_engine(current_app)
    with force_locale(language()):  # the demo's progress lines in the environment's language
        if not is_current(current_app):
            raise click.ClickException(_("The database is not at the latest schema: run "
                                         "`flask --app service db upgrade` first"))
        if if_empty and demo.has_data(engine):
            click.echo(_("demo data already present; nothing loaded"))
            click.echo(demo.logins_text())
            return
        summary = demo.seed(engine, size=size, progress=click.echo, years=years)
        click.echo(summary)
        months = (3 if size == "small" else 0) if reports is None else reports
        if months:
            made = demo.seed_reports(engine, options=Options.from_config(current_app.config),
                                     months=months, progress=click.echo)
            click.echo(_("reports of the last %(months)s month(s): %(made)s made", months=months,
                         made=made))
        if size == "small":  # its first morning: what the daily jobs tell its people is waiting
            from schedules import run_daily_jobs

            run_daily_jobs(current_app._get_current_object())  # type: ignore[attr-defined]  # current_app is typed as Flask, not its proxy
            click.echo(_("the daily jobs ran once: %(told)s notifications waiting",
                         told=demo.notifications(engine)))
        click.echo(demo.logins_text())


def _refused(err: ValidationError | DomainError) -> click.ClickException:
    """A schema's or a rule's refusal as the CLI says it: each field and its reasons, in the
    environment's language (the field names as they are)."""
    from service.core.error_texts import translate, translate_errors

    errors = translate_errors(err.messages if isinstance(err, ValidationError) else err.errors, _)
    message = _("Invalid input") if isinstance(err, ValidationError) else translate(err.message, _)
    fields = "; ".join(f"{name}: {' '.join(map(str, why if isinstance(why, list) else [why]))}"
                       for name, why in (errors if isinstance(errors, dict) else {"": errors}).items())
    return click.ClickException(f"{message}: {fields}" if fields else message)


@users_cli.command("create",
                   help=_("Create a user (checked by the same schema and rules as the API's POST /users)."))
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--country", default=None, help=_("ISO alpha-2, for a liaison"))
@click.option("--name", default=None)
@click.option("--password", default=None, help=_("Prompted for when not given."))
def users_create(email: str, role: str, country: str | None, name: str | None,
                 password: str | None) -> None:
    from service.domain import accounts, identity
    from service.schemas.identity import UserSchema

    if password is None:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    given = {"email": email, "name": name or email.split("@")[0], "role": role,
             "country": country.upper() if country else None, "password": password}
    try:
        data = accounts.with_default_language(UserSchema().load(given))
        with session_scope(get_engine(current_app), actor=(None, "cli")) as session:
            user = identity.create_user(session=session, **data)
            click.echo(_("created user %(id)s %(email)s (%(role)s)", id=user.id, email=user.email,
                         role=user.role))
    except (ValidationError, DomainError) as exc:
        raise _refused(exc) from exc


@users_cli.command("token", help=_("Issue an API token; prints the token alone on stdout."))
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@click.option("--days", type=click.IntRange(min=1), default=None,
              help=_("Expire after this many days (default TOKEN_TTL_HOURS, at most TOKEN_MAX_TTL_HOURS)."))
def users_token(email: str, name: str, days: int | None) -> None:
    from service.domain import identity

    try:
        ttl = identity.token_lifetime(days=days, default_hours=current_app.config["TOKEN_TTL_HOURS"],
                                      max_hours=current_app.config["TOKEN_MAX_TTL_HOURS"], field="--days")
    except DomainError as exc:
        raise _refused(exc) from exc
    with session_scope(get_engine(current_app), actor=(None, "cli")) as session:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise click.ClickException(_("no user %(email)s", email=email))
        token, _row = identity.issue_token(session=session, user=user, name=name, ttl=ttl)
    click.echo(token)


@surveys_cli.command("run-jobs",
                     help=_("Run the daily survey job once: invitations, reminders, expiry, escalations."))
@click.option("--now", "now_text", default=None, help=_("ISO 8601 time with offset to run as."))
def surveys_run_jobs(now_text: str | None) -> None:
    import datetime as dt

    from schedules.surveys import run_survey_jobs

    now = dt.datetime.fromisoformat(now_text) if now_text else None
    if now is not None and now.tzinfo is None:
        raise click.BadParameter(_("give a timezone offset, e.g. %(example)s",
                                   example="2026-05-01T06:00:00+00:00"), param_hint="--now")
    done = run_survey_jobs(current_app, now=now)
    click.echo(", ".join(f"{name} {n}" for name, n in done.items()))
@reports_cli.command("generate", help=_("Generate (or regenerate, bumping the revision) reports now."))
@click.option("--period", required=True, help=_("YYYY-MM"))
@click.option("--country", "country_code", default=None, help=_("ISO alpha-2; default: every active "
                "country and the HQ report"))
def reports_generate(period: str, country_code: str | None) -> None:
    import time

    from service.domain.reports import Options, Outcome, generate_period

    def progress(scope: str, o: Outcome) -> None:
        r = o.report
        if o.action == "generated" and r is not None:
            click.echo(f"{scope:<3} {period}  " + _(
                "revision %(revision)s  %(pages)s page(s)  %(size).1f KiB  %(seconds).2f s",
                revision=r.revision, pages=r.pages, size=(r.size or 0) / 1024, seconds=o.seconds))
        else:
            click.echo(f"{scope:<3} {period}  {o.action.upper()}: {r.error if r else ''}")

    started = time.perf_counter()
    try:
        outcomes = generate_period(
            engine=get_engine(current_app), period=period, actor=(None, "cli"),
            options=Options.from_config(current_app.config), progress=progress,
            countries=[country_code.upper()] if country_code else None,
        )
    except DomainError as exc:
        raise _refused(exc) from exc
    failed = sum(o.action == "failed" for o in outcomes)
    click.echo(_("%(made)s report(s) generated, %(failed)s failed, in %(seconds).1f s",
                 made=len(outcomes) - failed, failed=failed, seconds=time.perf_counter() - started))
    if failed:
        sys.exit(1)
@reminders_cli.command("run",
                       help=_("Run the daily service reminders once; prints how many were new and sent."))
@click.option("--now", default=None, help=_("Pretend it is this ISO 8601 time (with an offset)."))
@click.option("--no-deliver", is_flag=True, help=_("Only write the outbox; do not send by SMTP."))
def reminders_run(now: str | None, no_deliver: bool) -> None:
    import datetime as dt

    from schedules.reminders import send_service_reminders
    from service.domain.outbox import deliver_pending

    at = dt.datetime.fromisoformat(now) if now else None
    if at is not None and at.tzinfo is None:
        raise click.BadParameter(_("give a timezone offset, e.g. %(example)s",
                                   example="2030-03-01T06:00:00+00:00"), param_hint="--now")
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app is typed as Flask, not its proxy
    created = send_service_reminders(app, now=at)
    sent = 0 if no_deliver else deliver_pending(app)
    click.echo(_("reminders: %(created)s new, %(sent)s sent", created=created, sent=sent))


def register_commands(app: Flask) -> None:
    app.cli.add_command(reminders_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(surveys_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(reports_cli)
    from service.core.scheduler import scheduler_cli

    app.cli.add_command(scheduler_cli)


def main() -> None:
    """The `k-sustain` console script: the same commands as `flask --app service`."""
    from service import create_app

    cli = FlaskGroup(create_app=lambda: create_app())
    sys.exit(cli.main())
