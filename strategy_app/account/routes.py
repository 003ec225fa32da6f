"""GET /account, password change, creating and revoking personal API tokens."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user
from wtforms import SelectChoice

from strategy_app import policy
from strategy_app.account import bp
from strategy_app.account.forms import PasswordForm, TokenForm
from strategy_app.auth.routes import safe_next
from strategy_app.extensions import db
from strategy_app.models import ApiToken
from strategy_app.models.base import utcnow
from strategy_app.schemas.common import ID_URL
from strategy_app.security import start_session
from strategy_app.services.writes import tokens, users


def _token_form() -> TokenForm:
    form = TokenForm()
    if not policy.can(current_user, policy.API_WRITE):
        form.scope.choices = [SelectChoice("read", "Read")]
    return form


def _tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == current_user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


@bp.route("/")
@login_required
def index():
    """The account page: who I am, my tokens."""
    return render_template("account/index.html", tokens=_tokens(), form=_token_form(), now=utcnow())


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change my password; every other session of mine ends."""
    form = PasswordForm(email=current_user.email)
    if form.validate_on_submit():
        if not users.check_password(current_user, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        else:
            revoked = users.change_password(current_user, form.new_password.data)
            db.session.commit()
            start_session()
            login_user(current_user)  # this session continues under the new token
            tokens_note = (
                f" Your {revoked} API token{'s were' if revoked > 1 else ' was'} revoked:"
                " make new ones for the systems that need them."
                if revoked
                else ""
            )
            flash(
                f"Your password is changed. Other sessions were signed out.{tokens_note}",
                "success",
            )
            return redirect(safe_next(request.args.get("next")))
    status = 422 if form.errors else 200
    return render_template("account/password.html", form=form), status


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token():
    """Make a personal API token and show it once."""
    form = _token_form()
    if request.form.get("scope") == "write":
        # Refused (403, recorded), not "not a valid choice" in a form shown again (DESIGN §4).
        policy.require(current_user, policy.API_WRITE)
    if form.validate_on_submit():
        scope = form.scope.data
        policy.require(current_user, policy.API_WRITE if scope == "write" else policy.API_READ)
        token, plain = tokens.create_token(current_user, form.name.data, scope, form.days.data)
        db.session.commit()
        return render_template("account/token_created.html", token=token, plain=plain)
    return render_template("account/index.html", tokens=_tokens(), form=form, now=utcnow()), 422


@bp.route(f"/tokens/<{ID_URL}:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of my tokens (it stops working at once)."""
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        policy.require(None, policy.API_READ)  # somebody else's token: refused, recorded
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
        flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for("account.index"))
