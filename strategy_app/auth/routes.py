"""Sign-in (GET/POST /login), sign-out (POST /logout) and the forced password change."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from strategy_app.auth import bp
from strategy_app.auth.forms import LoginForm
from strategy_app.extensions import db, login_manager
from strategy_app.models import User
from strategy_app.models.base import utcnow
from strategy_app.security import start_session
from strategy_app.services.plumbing import throttle
from strategy_app.services.plumbing.audit import record
from strategy_app.services.writes import users

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session cookie, read afresh (role, active flag) on every request.

    The cookie holds "<id>.<session token>"; a token that no longer matches (the user signed
    out, changed password or was deactivated since) means no user.
    """
    user_id, _, token = session_id.partition(".")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme, //, \\) goes home."""
    home = url_for("main.dashboard")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return home
    return target


def _refuse(form: LoginForm, message: str, status: int):
    form.password.errors.append(message)
    return render_template("auth/login.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show and check the sign-in form."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    email, address = form.email.data, request.remote_addr or "unknown"
    lock = throttle.current_lock(email, address)
    if lock:
        seconds = lock.seconds_left()
        return _refuse(form, f"Too many failed sign-ins. Try again in {seconds} seconds.", 429)
    user = users.find_by_email(email)
    # Always one full password check (against a dummy hash when there is no such account),
    # so that the time taken does not tell whether an account exists or is active.
    correct = users.check_password(user, form.password.data)
    if user is not None and user.active and correct:
        throttle.record_success(email, address)
        user.last_login_at = utcnow()
        user.failed_logins = 0
        record(db.session, "login", "User", user.id, {"address": address}, user_id=user.id)
        db.session.commit()
        start_session()
        login_user(user)
        if user.must_change_password:
            return redirect(url_for("account.password", next=request.args.get("next")))
        return redirect(safe_next(request.args.get("next")))
    lock = throttle.record_failure(email, address)
    if user is not None:
        user.failed_logins += 1
        user.locked_until = lock.until if lock else user.locked_until
    record(
        db.session,
        "login_failed",
        "User",
        user.id if user else None,
        {"email": email[:254], "address": address},
        user_id=user.id if user else None,
    )
    db.session.commit()
    if lock:
        return _refuse(
            form, f"Too many failed sign-ins. Try again in {lock.seconds_left()} seconds.", 429
        )
    return _refuse(form, "The email or password is not right.", 401)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, with the CSRF token); every copy of the session cookie dies."""
    current_user.end_sessions()
    record(db.session, "logout", "User", current_user.id, user_id=current_user.id)
    db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
