"""flask commands: the portal's background jobs and one-off operations."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db


def init_cli(app: Flask) -> None:
    from .devsetup import dev_cli
    from .reports.cli import usage_cli

    app.cli.add_command(roster_cli)
    app.cli.add_command(dev_cli)
    app.cli.add_command(usage_cli)
    app.cli.add_command(reconcile_cmd)
    app.cli.add_command(worker_cmd)
    app.cli.add_command(retention_cli)
    app.cli.add_command(stream_cli)


@click.group("roster")
def roster_cli():
    """Roles and enrolments from Moodle."""


@roster_cli.command("sync")
@click.option("--user", "usernames", multiple=True, help="Only these portal usernames.")
@click.option("--site", is_flag=True, help="Everyone in every active company's courses.")
def roster_sync(usernames, site):
    """Refresh every known user's roles from Moodle (roles removed in Moodle go here too)."""
    from .models import User
    from .services.roster import Roster, moodle_client

    roster = Roster(moodle_client())
    if site:
        users = roster.sync_site()
        db.session.commit()
        click.echo(f"synced {len(users)} user(s) from the site")
        return
    query = select(User)
    if usernames:
        query = query.where(User.username.in_(usernames))
    users = db.session.scalars(query).all()
    for user in users:
        roster.sync_user(user)
        db.session.commit()
    click.echo(f"synced {len(users)} user(s)")


@click.command("reconcile")
@click.option("--orphans", is_flag=True, help="Also list videos at Stream the portal does not know.")
def reconcile_cmd(orphans):
    """Ask Stream about every upload still in flight and fix what a lost webhook left behind."""
    from flask import current_app

    from .services.reconcile import reconcile
    from .services.stream import client_from_settings

    report = reconcile(client_from_settings(current_app.config["SETTINGS"]), find_orphans=orphans)
    click.echo(f"checked {report.checked}, changed {report.changed}, failed {len(report.failed)}")
    for line in report.failed:
        click.echo(f"  failed: {line}")
    for uid in report.orphans:
        click.echo(f"  orphan at Stream: {uid}")


@click.command("worker")
@click.option("--until-idle", is_flag=True, help="Send what is due, then stop.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--reconcile-every", default=300, show_default=True, help="Seconds between Stream reconciles.")
@click.option("--roster-every", default=3600, show_default=True, help="Seconds between roster syncs.")
@click.option("--retention-every", default=3600, show_default=True,
              help="Seconds between retention runs (and alert e-mails).")
@click.option("--usage-every", type=int, default=None,
              help="Seconds between usage collections (default: USAGE_COLLECT_EVERY).")
@click.option("--grades-every", default=300, show_default=True,
              help="Seconds between reading back grades given in Moodle's own grader.")
def worker_cmd(until_idle, interval, reconcile_every, roster_every, retention_every, usage_every, grades_every):
    """Send the outbox to Moodle; reconcile with Stream and refresh roles from Moodle periodically."""
    import os
    import time

    from flask import current_app

    from . import sessions
    from .services import alerts, moodle_grades, outbox, retention, stream_budget, stream_events, usage_collection
    from .services.reconcile import reconcile
    from .services.roster import moodle_client
    from .services.stream import client_from_settings

    settings = current_app.config["SETTINGS"]
    moodle = moodle_client()
    worker_id = f"{os.uname().nodename}:{os.getpid()}"
    _first_site_sync(moodle)
    if until_idle:
        click.echo(f"applied {stream_events.apply_all()} webhook events")
        click.echo(f"sent {outbox.drain(db.session, moodle, worker_id=worker_id)}")
        click.echo(f"read back {moodle_grades.read_back_all(db.session, moodle)} grades given in Moodle")
        return
    usage_every = usage_every or settings.usage_collect_every
    last_reconcile = last_roster = last_retention = last_usage = last_grades = 0.0
    click.echo(f"worker {worker_id} started")
    while True:
        try:
            stream_events.apply_all()        # first: a video that became ready queues its Moodle record
            outbox.run_once(db.session, moodle, worker_id=worker_id)
            now = time.monotonic()
            if now - last_reconcile >= reconcile_every:
                last_reconcile = now
                reconcile(client_from_settings(settings))
            if now - last_grades >= grades_every:
                last_grades = now
                moodle_grades.read_back_all(db.session, moodle)
            if now - last_retention >= retention_every:
                last_retention = now
                retention.run(client_from_settings(settings))
                sessions.delete_expired(current_app)     # rows past their idle or absolute limit
                alerts.send_digest(settings.smtp_url, settings.alert_email, alerts.collect(), settings.base_url)
            if now - last_usage >= usage_every:   # stored and delivered minutes: costs fill themselves
                last_usage = now
                usage_collection.collect_due(client_from_settings(settings))
            if now - last_roster >= roster_every:
                last_roster = now
                _roster_round(moodle)
        except Exception:  # the worker must outlive one bad round; the error is logged
            db.session.rollback()
            current_app.logger.exception("worker round failed")
        db.session.remove()
        stream_budget.flush()                # this round's Stream API calls, for the shared count
        time.sleep(interval)


def _roster_round(moodle) -> None:
    """The hourly roster sync. Moodle refusing the service account (a wrong token) is an alert
    for the admin, not only a line in the worker's log."""
    from .services import moodle_refusals
    from .services.moodle import MoodleRejected
    from .services.roster import Roster

    try:
        Roster(moodle).sync_all()
        db.session.commit()
    except MoodleRejected as exc:
        db.session.rollback()
        moodle_refusals.report(exc)
        db.session.commit()


def _first_site_sync(moodle) -> None:
    """A site the portal never synced: link its companies, courses and people now, so a company's
    report is not empty until someone signs in. Moodle away: the hourly round does it later."""
    from flask import current_app

    from .services import moodle_refusals
    from .services.moodle import MoodleError, MoodleRejected
    from .services.roster import Roster, last_site_sync

    if last_site_sync() is not None:
        return
    try:
        users = Roster(moodle).sync_site()
        db.session.commit()
        click.echo(f"first roster sync: {len(users)} user(s) from the site")
    except MoodleRejected as exc:
        db.session.rollback()
        moodle_refusals.report(exc)
        db.session.commit()
    except MoodleError as exc:
        db.session.rollback()
        current_app.logger.warning("first roster sync failed (%s); the hourly sync will try again", exc)


@click.group("retention")
def retention_cli():
    """Deleting videos at Stream when their retention ends."""


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; change nothing.")
def retention_run(dry_run):
    from flask import current_app

    from .services import retention
    from .services.stream import client_from_settings

    result = retention.run(client_from_settings(current_app.config["SETTINGS"]), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for sub in result.deleted:
        click.echo(f"{verb} {sub.stream_uid} (submission {sub.id}, due {sub.delete_after:%Y-%m-%d})")
    for sub in result.held:
        click.echo(f"kept {sub.stream_uid}: legal hold")
    for sub, why in result.failed:
        click.echo(f"failed {sub.stream_uid}: {why}")
    click.echo(f"{verb} {len(result.deleted)}, held {len(result.held)}, failed {len(result.failed)}, "
               f"warned {len(result.warned)}")


@click.group("stream")
def stream_cli():
    """One-off Cloudflare Stream set-up; the output goes into the configuration, never a log."""


@stream_cli.command("create-key")
def stream_create_key():
    """Create the playback signing key at Stream and print it as configuration lines."""
    from flask import current_app

    from .services.stream import client_from_settings

    key = client_from_settings(current_app.config["SETTINGS"]).create_signing_key()
    escaped = key.pem.replace("\n", "\\n")
    click.echo(f"STREAM_SIGNING_KEY_ID={key.id}")
    click.echo(f'STREAM_SIGNING_KEY_PEM="{escaped}"')


@stream_cli.command("register-webhook")
def stream_register_webhook():
    """Point Stream's webhook at this portal and print the secret as a configuration line."""
    from flask import current_app

    from .services.stream import client_from_settings

    settings = current_app.config["SETTINGS"]
    secret = client_from_settings(settings).set_webhook(settings.base_url + "/webhooks/stream")
    click.echo(f"STREAM_WEBHOOK_SECRET={secret}")
