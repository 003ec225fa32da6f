"""Command-line tools of DESIGN §5, run as `flask --app wsgi <command>`."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import Flask

from strategy_app.extensions import db
from strategy_app.models import ROLES, TOKEN_SCOPES


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""
    for command in (seed_demo, create_user, create_token, export_cmd, import_cmd, seed_bench):
        app.cli.add_command(command)


@click.command("seed-demo")
@click.option("--password", help="Password for every demo user (generated and printed if omitted).")
def seed_demo(password: str | None) -> None:
    """Load the demo distributor (idempotent) and print the demo sign-ins."""
    from strategy_app.services.dataio import demo
    from strategy_app.services.writes.users import check_password, find_by_email

    generated = password is None
    if generated:
        password = secrets.token_urlsafe(12)
    try:
        created = demo.seed_demo(password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if created:
        click.echo("Demo data loaded.")
    else:
        click.echo("Demo data already present; nothing changed.")
    click.echo("Sign in at http://127.0.0.1:5000/login as:")
    for email, role in demo.DEMO_SIGN_INS:
        click.echo(f"  {email:<28} {role}")
    # On a second run the password given still works only if it is the one first used.
    ceo = find_by_email(demo.DEMO_SIGN_INS[0][0])
    if created or (not generated and check_password(ceo, password)):
        click.echo(f"Password for every demo user: {password}")
    else:
        click.echo("(The demo users keep the password printed when they were created.)")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", "department_slug", help="Department slug (leads and members).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(email, name, role, department_slug, password) -> None:
    """Create a user account."""
    from strategy_app.services.writes.users import UserError
    from strategy_app.services.writes.users import create_user as make

    try:
        user = make(email, name, role, password, department_slug)
    except UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")


@click.command("create-token")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--scope", required=True, type=click.Choice(TOKEN_SCOPES))
@click.option("--days", default=90, show_default=True, type=int)
def create_token(email, name, scope, days) -> None:
    """Create an API token and print it once."""
    from strategy_app.services.writes.tokens import create_token as make
    from strategy_app.services.writes.users import find_by_email

    user = find_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    try:
        token, plain = make(user, name, scope, days)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(plain)
    click.echo(
        f"(token {token.name!r}, scope {token.scope}, expires {token.expires_at:%Y-%m-%d};"
        " it is not shown again)",
        err=True,
    )


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_cmd(path: Path) -> None:
    """Write a complete backup of the database to PATH.json (owner-only: it holds secrets)."""
    from strategy_app.services.dataio import backup

    doc = backup.export_document()
    backup.write_file(path, doc)
    counts = ", ".join(f"{k} {len(v)}" for k, v in doc["tables"].items() if v)
    click.echo(f"Exported to {path}: {counts or 'no rows'}.")
    click.echo(backup.SECRETS_NOTE)


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(path: Path) -> None:
    """Restore a backup made by `export` into an empty database."""
    from strategy_app.services.dataio import backup

    try:
        doc = backup.loads(path.read_text(encoding="utf-8"))
        counts = backup.import_document(doc)
    except (ValueError, UnicodeDecodeError) as exc:
        db.session.rollback()
        raise click.ClickException(f"Cannot import {path}: {exc}") from exc
    click.echo(f"Imported {sum(counts.values())} rows from {path}.")


@click.command("seed-bench")
@click.option("--plans", default=5000, show_default=True, type=click.IntRange(10, 100_000))
def seed_bench(plans: int) -> None:
    """Generate the large benchmark data set (DESIGN §8) quickly."""
    from strategy_app.services.dataio import bench_data

    try:
        counts = bench_data.generate(plans)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Generated: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    sys.stdout.flush()
