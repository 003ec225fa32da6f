"""Executive administration: users (roles, activation, temporary passwords) and departments.

Plain functions without request globals; each validates, changes the rows and leaves the
commit to the caller (the flush hook writes the audit log in the same transaction).
"""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa

from strategy_app.extensions import db
from strategy_app.models import ROLES, Department, LoginThrottle, User
from strategy_app.models.base import utcnow
from strategy_app.services.plumbing.audit import record
from strategy_app.services.writes import users
from strategy_app.services.writes.users import UserError

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
MAX_NAME, MAX_SLUG, MAX_POSITION = 120, 60, 100_000
ROLES_NEEDING_DEPARTMENT = ("lead", "member")


class AdminError(UserError):
    """An administrative change broke a rule; .fields maps form fields to messages."""


def temporary_password() -> str:
    """A random password to hand over once; its holder must replace it at first sign-in."""
    return secrets.token_urlsafe(15)


def active_executive_count() -> int:
    """How many active executives there are (at least one must remain)."""
    query = sa.select(sa.func.count(User.id)).where(User.role == "executive", User.active)
    return db.session.scalar(query) or 0


def _is_last_active_executive(user: User) -> bool:
    return user.role == "executive" and user.active and active_executive_count() <= 1


def _clear_lead_posts(user: User) -> list[Department]:
    """Drop user as lead of the departments they can no longer lead; returns those."""
    led = db.session.scalars(sa.select(Department).where(Department.lead_id == user.id)).all()
    dropped = [d for d in led if user.role != "lead" or user.department_id != d.id]
    for department in dropped:
        department.lead = None
    return dropped


def create_user_with_temp_password(
    email: str, name: str, role: str, department: Department | None
) -> tuple[User, str]:
    """Add a user with a temporary password they must change; returns (user, password)."""
    if department is not None and department.is_archived:
        raise AdminError({"department": ["This department is archived; choose another."]})
    password = temporary_password()
    user = users.create_user(email, name, role, password, department.slug if department else None)
    user.must_change_password = True
    return user, password


def update_user(
    actor: User, user: User, *, name: str, role: str, department: Department | None
) -> list[Department]:
    """Change name, role and department; returns the departments user no longer leads."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["name"] = [f"Enter a name of 1 to {MAX_NAME} characters."]
    if role not in ROLES:
        errors["role"] = [f"Choose one of: {', '.join(ROLES)}."]
    elif user.role == "executive" and role != "executive":
        if user.id == actor.id:
            errors["role"] = [
                "You cannot remove your own executive role; another executive must do it."
            ]
        elif _is_last_active_executive(user):
            errors["role"] = ["This is the last active executive; make someone else one first."]
    if role in ROLES_NEEDING_DEPARTMENT and department is None:
        errors["department"] = ["Leads and members need a department."]
    elif department is not None and department.is_archived and department.id != user.department_id:
        errors["department"] = ["This department is archived; choose another."]
    if errors:
        raise AdminError(errors)
    user.name = name
    user.role = role
    user.department = department
    db.session.flush()
    return _clear_lead_posts(user)


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (every session of theirs ends at once) or reactivate a user."""
    if active:
        user.active = True
        return
    if user.id == actor.id:
        raise AdminError({"active": ["You cannot deactivate your own account."]})
    if _is_last_active_executive(user):
        raise AdminError({"active": ["This is the last active executive; it must stay active."]})
    user.active = False
    user.end_sessions()


def clear_lockout(user: User) -> int:
    """Forget the user's failed sign-ins and the per-account throttle rows; returns rows gone."""
    user.failed_logins = 0
    user.locked_until = None
    prefix = f"acct:{user.email}|"
    result = db.session.execute(
        sa.delete(LoginThrottle).where(LoginThrottle.key.startswith(prefix, autoescape=True))
    )
    return result.rowcount or 0


def reset_password(actor: User, user: User) -> str:
    """Give user a new temporary password (returned once); sessions end, API tokens are
    revoked, the lock-out is cleared."""
    if user.id == actor.id:
        raise AdminError({"password": ["Change your own password on your account page instead."]})
    password = temporary_password()
    # Also ends every session and revokes the user's API tokens.
    revoked = users.change_password(user, password, must_change=True)
    throttles = clear_lockout(user)
    record(
        db.session,
        "admin_action",
        "User",
        user.id,
        {
            "operation": "reset_password",
            "throttle_rows_cleared": throttles,
            "tokens_revoked": revoked,
        },
        user_id=actor.id,
    )
    return password


def _department_errors(
    department: Department | None, *, name: str, slug: str, colour: str, lead: User | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name or len(name) > MAX_NAME:
        errors["name"] = [f"Enter a name of 1 to {MAX_NAME} characters."]
    if not slug or len(slug) > MAX_SLUG or not SLUG_RE.fullmatch(slug):
        errors["slug"] = [
            f"Use 1 to {MAX_SLUG} lower-case letters, digits and single hyphens between them "
            "(e.g. customer-care)."
        ]
    else:
        taken = sa.select(Department.id).where(Department.slug == slug)
        if department is not None and department.id is not None:
            taken = taken.where(Department.id != department.id)
        if db.session.scalar(taken.limit(1)) is not None:
            errors["slug"] = ["Another department (perhaps an archived one) has this slug."]
    if not COLOUR_RE.fullmatch(colour or ""):
        errors["colour"] = ["Use a colour written #rrggbb."]
    if lead is not None and (
        department is None
        or department.id is None
        or lead.department_id != department.id
        or lead.role != "lead"
    ):
        errors["lead"] = ["The lead must be a user with the lead role in this department."]
    return errors


def next_position() -> int:
    """The position after the last department."""
    return (db.session.scalar(sa.select(sa.func.max(Department.position))) or 0) + 1


def create_department(
    *,
    name: str,
    slug: str,
    service_role: str = "",
    colour: str = "#6c757d",
    position: int | None = None,
    lead: User | None = None,
) -> Department:
    """Validate and add a department (a new one has no members yet, so no lead)."""
    name, slug = (name or "").strip(), (slug or "").strip()
    errors = _department_errors(None, name=name, slug=slug, colour=colour, lead=lead)
    if position is not None and not 0 <= position <= MAX_POSITION:
        errors["position"] = [f"Use a number from 0 to {MAX_POSITION}."]
    if errors:
        raise AdminError(errors)
    department = Department(
        name=name,
        slug=slug,
        service_role=(service_role or "").strip(),
        colour=colour.lower(),
        position=next_position() if position is None else position,
    )
    db.session.add(department)
    db.session.flush()
    return department


def update_department(
    department: Department,
    *,
    name: str,
    slug: str,
    service_role: str,
    colour: str,
    position: int | None,
    lead: User | None,
) -> None:
    """Validate and change a department."""
    name, slug = (name or "").strip(), (slug or "").strip()
    errors = _department_errors(department, name=name, slug=slug, colour=colour, lead=lead)
    if position is not None and not 0 <= position <= MAX_POSITION:
        errors["position"] = [f"Use a number from 0 to {MAX_POSITION}."]
    if errors:
        raise AdminError(errors)
    department.name = name
    department.slug = slug
    department.service_role = (service_role or "").strip()
    department.colour = colour.lower()
    if position is not None:
        department.position = position
    department.lead = lead
    db.session.flush()


def archive_department(department: Department) -> None:
    """Archive a department (its plans and people stay; an executive can restore it)."""
    if department.archived_at is None:
        department.archived_at = utcnow()


def restore_department(department: Department) -> None:
    """Bring an archived department back."""
    department.archived_at = None


def active_departments() -> list[Department]:
    """Departments not archived, in their display order."""
    return list(
        db.session.scalars(
            sa.select(Department)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.id)
        )
    )


def reorder(department: Department, offset: int) -> bool:
    """Move an active department up (-1) or down (+1); False when it cannot move."""
    ordered = active_departments()
    if department not in ordered or offset not in (-1, 1):
        return False
    index = ordered.index(department)
    target = index + offset
    if not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
    return True
