"""Sign-in (GET/POST /login) and sign-out (POST /logout)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from strategy_app.auth import bp
from strategy_app.auth.forms import LoginForm
from strategy_app.extensions import db, login_manager
from strategy_app.models import User
from strategy_app.models.base import utcnow
from strategy_app.services import users
from strategy_app.services.audit import record

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Read the user (and so the role) from the database on every request."""
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything else (another host, a scheme, //, \\) goes home."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("main.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return url_for("main.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show and check the sign-in form."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.find_by_email(form.email.data)
        if user is not None and user.active and users.check_password(user, form.password.data):
            user.last_login_at = utcnow()
            user.failed_logins = 0
            record(db.session, "login", "User", user.id, user_id=user.id)
            db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        if user is not None:
            user.failed_logins += 1
            record(db.session, "login_failed", "User", user.id, user_id=user.id)
        else:
            record(
                db.session, "login_failed", "User", None, changes={"email": form.email.data[:254]}
            )
        db.session.commit()
        form.password.errors.append("The email or password is not right.")
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST only, with the CSRF token)."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
