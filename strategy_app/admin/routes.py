"""Pages under /admin: users, departments and the audit log (executives only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from strategy_app import archiving, policy
from strategy_app.admin import bp
from strategy_app.admin.forms import (
    NONE_CHOICE,
    AuditFilterForm,
    DepartmentForm,
    EditUserForm,
    NewUserForm,
    UserFilterForm,
)
from strategy_app.extensions import db, login_manager
from strategy_app.models import AuditEvent, Department, User
from strategy_app.models.base import utcnow
from strategy_app.schemas.common import ID_URL
from strategy_app.services.plumbing.audit import set_actor
from strategy_app.services.reads import history
from strategy_app.services.writes import admin
from strategy_app.services.writes.users import UserError

USERS_PER_PAGE = 50
AUDIT_PER_PAGE = 50
MAX_PAGE = 1_000_000
KNOWN_ACTIONS = (
    "create",
    "update",
    "archive",
    "restore",
    "delete",
    "login",
    "login_failed",
    "logout",
    "refused",
    "admin_action",
)
ID = ID_URL  # ids beyond the column's range are simply not found


@bp.before_request
def executives_only():
    """Every page here needs a signed-in executive; others get a 403 (recorded)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    set_actor(db.session, current_user.id)
    policy.require(current_user, policy.ADMIN)
    return None


def _page_number() -> int:
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    return page


def _apply_errors(form: FlaskForm, fields: dict[str, list[str]]) -> None:
    """Put a service's validation messages beside the matching fields (or above the form)."""
    for name, messages in fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


def _commit(form: FlaskForm, field: str, message: str) -> bool:
    """Commit; a unique constraint lost to a concurrent request becomes a field error."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        _apply_errors(form, {field: [message]})
        return False
    return True


def _department_choices(including: int | None = None) -> list[SelectChoice]:
    """Active departments for a select, plus the given one even when it is archived."""
    query = sa.select(Department).order_by(Department.position, Department.id)
    query = query.where(
        sa.or_(Department.archived_at.is_(None), Department.id == (including or -1))
    )
    return [
        SelectChoice(str(d.id), d.name + (" (archived)" if d.is_archived else ""))
        for d in db.session.scalars(query)
    ]


def _department(department_id: int | None) -> Department | None:
    return db.session.get(Department, department_id) if department_id is not None else None


# --- users -------------------------------------------------------------------------------


@bp.route("/")
def index():
    """The administration starts with the user list."""
    return redirect(url_for("admin.users"))


@bp.route("/users")
def users():
    """All users with their role, department, state and last sign-in; filtered and paged."""
    form = UserFilterForm(formdata=request.args)
    all_departments = db.session.scalars(
        sa.select(Department).order_by(Department.position, Department.id)
    )
    form.department.choices = [SelectChoice("", "Any department")] + [
        SelectChoice(str(d.id), d.name + (" (archived)" if d.is_archived else ""))
        for d in all_departments
    ]
    if not form.validate():
        return render_template("admin/users.html", form=form, page=None, now=utcnow()), 400
    query = (
        sa.select(User)
        .options(selectinload(User.department))
        .order_by(sa.func.lower(User.name), User.id)
    )
    if form.role.data:
        query = query.where(User.role == form.role.data)
    if form.department.data is not None:
        query = query.where(User.department_id == form.department.data)
    if form.active.data:
        query = query.where(User.active.is_(form.active.data == "yes"))
    page = db.paginate(query, page=_page_number(), per_page=USERS_PER_PAGE, error_out=True)
    return render_template("admin/users.html", form=form, page=page, now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """Create a user with a temporary password, shown once on the result page."""
    form = NewUserForm()
    form.department.choices = [NONE_CHOICE, *_department_choices()]
    if form.validate_on_submit():
        try:
            user, password = admin.create_user_with_temp_password(
                form.email.data,
                form.name.data,
                form.role.data,
                _department(form.department.data),
            )
        except UserError as exc:
            db.session.rollback()
            _apply_errors(form, exc.fields)
        else:
            if _commit(form, "email", "A user with this email already exists."):
                return render_template(
                    "admin/temporary_password.html", user=user, password=password, created=True
                )
    status = 422 if form.errors else 200
    return render_template("admin/user_new.html", form=form), status


@bp.route(f"/users/<{ID}:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change a user's name, role and department (the email is fixed)."""
    user = db.get_or_404(User, user_id)
    form = EditUserForm(
        data={"name": user.name, "role": user.role, "department": user.department_id}
    )
    form.department.choices = [NONE_CHOICE, *_department_choices(user.department_id)]
    if form.validate_on_submit():
        try:
            dropped = admin.update_user(
                current_user,
                user,
                name=form.name.data,
                role=form.role.data,
                department=_department(form.department.data),
            )
        except UserError as exc:
            db.session.rollback()
            _apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(f"Saved the changes to {user.name}.", "success")
            for department in dropped:
                flash(f"{user.name} is no longer the lead of {department.name}.", "info")
            return redirect(url_for("admin.users"))
    status = 422 if form.errors else 200
    return render_template("admin/user_edit.html", form=form, user=user, now=utcnow()), status


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    try:
        admin.set_active(current_user, user, active)
    except UserError as exc:
        db.session.rollback()
        flash(" ".join(m for ms in exc.fields.values() for m in ms), "error")
    else:
        db.session.commit()
        if active:
            flash(f"{user.name} can sign in again.", "success")
        else:
            flash(f"{user.name} is deactivated and signed out everywhere.", "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


@bp.route(f"/users/<{ID}:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    """Stop a user signing in; their live sessions end on their next request."""
    return _set_active(user_id, False)


@bp.route(f"/users/<{ID}:user_id>/reactivate", methods=["POST"])
def reactivate_user(user_id: int):
    """Let a deactivated user sign in again."""
    return _set_active(user_id, True)


@bp.route(f"/users/<{ID}:user_id>/reset-password", methods=["POST"])
def reset_password(user_id: int):
    """Give a user a new temporary password (shown once) and lift any lock-out."""
    user = db.get_or_404(User, user_id)
    try:
        password = admin.reset_password(current_user, user)
    except UserError as exc:
        db.session.rollback()
        flash(" ".join(m for ms in exc.fields.values() for m in ms), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    db.session.commit()
    return render_template(
        "admin/temporary_password.html", user=user, password=password, created=False
    )


# --- departments -------------------------------------------------------------------------


@bp.route("/departments")
def departments():
    """Departments in their order, archived ones apart (restorable)."""
    everything = db.session.scalars(
        sa.select(Department)
        .options(selectinload(Department.lead))
        .order_by(Department.position, Department.id)
    ).all()
    active = [d for d in everything if not d.is_archived]
    archived = [d for d in everything if d.is_archived]
    return render_template("admin/departments.html", active=active, archived=archived)


def _lead_choices(department: Department | None) -> list[SelectChoice]:
    if department is None:
        return [NONE_CHOICE]
    leads = db.session.scalars(
        sa.select(User)
        .where(User.department_id == department.id, User.role == "lead")
        .order_by(sa.func.lower(User.name), User.id)
    )
    return [NONE_CHOICE] + [
        SelectChoice(str(u.id), u.name + ("" if u.active else " (deactivated)")) for u in leads
    ]


def _lead(form: DepartmentForm) -> tuple[bool, User | None]:
    """The chosen lead; (False, None) when the id names nobody (an error is added)."""
    if form.lead.data is None:
        return True, None
    lead = db.session.get(User, form.lead.data)
    if lead is None:
        form.lead.errors = [*form.lead.errors, "Choose one of the department's leads."]
        return False, None
    return True, lead


@bp.route("/departments/new", methods=["GET", "POST"])
def new_department():
    """Add a department (its lead is chosen once it has members)."""
    form = DepartmentForm()
    form.lead.choices = _lead_choices(None)
    if form.validate_on_submit():
        try:
            department = admin.create_department(
                name=form.name.data,
                slug=form.slug.data,
                service_role=form.service_role.data,
                colour=form.colour.data,
                position=form.position.data,
            )
        except UserError as exc:
            db.session.rollback()
            _apply_errors(form, exc.fields)
        else:
            if _commit(form, "slug", "Another department has this slug."):
                flash(f"Department {department.name} added.", "success")
                return redirect(url_for("admin.departments"))
    status = 422 if form.errors else 200
    return render_template("admin/department_form.html", form=form, department=None), status


@bp.route(f"/departments/<{ID}:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id: int):
    """Change a department's name, slug, part in the service, lead, colour and position."""
    department = db.get_or_404(Department, department_id)
    archiving.refuse_if_archived(department, department_addresses(department))
    form = DepartmentForm(
        data={
            "name": department.name,
            "slug": department.slug,
            "service_role": department.service_role,
            "lead": department.lead_id,
            "colour": department.colour,
            "position": department.position,
        }
    )
    form.lead.choices = _lead_choices(department)
    if form.validate_on_submit():
        found, lead = _lead(form)
        if found:
            try:
                admin.update_department(
                    department,
                    name=form.name.data,
                    slug=form.slug.data,
                    service_role=form.service_role.data,
                    colour=form.colour.data,
                    position=form.position.data,
                    lead=lead,
                )
            except UserError as exc:
                db.session.rollback()
                _apply_errors(form, exc.fields)
            else:
                if _commit(form, "slug", "Another department has this slug."):
                    flash(f"Department {department.name} saved.", "success")
                    return redirect(url_for("admin.departments"))
    status = 422 if form.errors else 200
    return render_template("admin/department_form.html", form=form, department=department), status


def department_addresses(department: Department) -> archiving.Addresses:
    """Where a department is managed, its archive and restore actions (the shared mechanism)."""
    return archiving.Addresses(
        view=url_for("admin.departments"),
        archive=url_for("admin.archive_department", department_id=department.id),
        restore=url_for("admin.restore_department", department_id=department.id),
    )


@bp.route(f"/departments/<{ID}:department_id>/archive", methods=["GET", "POST"])
def archive_department(department_id: int):
    """Archive a department after a confirmation (nothing is deleted); "Undo" right after."""
    department = db.get_or_404(Department, department_id)
    return archiving.confirm_or_archive(
        department,
        department_addresses(department),
        lambda: admin.archive_department(department),
        where="the department lists and the choices of the plan and people forms",
    )


@bp.route(f"/departments/<{ID}:department_id>/restore", methods=["POST"])
def restore_department(department_id: int):
    """Bring an archived department back."""
    department = db.get_or_404(Department, department_id)
    return archiving.restore(department, url_for("admin.departments"))


@bp.route(f"/departments/<{ID}:department_id>/move/<any(up, down):direction>", methods=["POST"])
def move_department(department_id: int, direction: str):
    """Move a department one place up or down in the order."""
    department = db.get_or_404(Department, department_id)
    if admin.reorder(department, -1 if direction == "up" else 1):
        db.session.commit()
    return redirect(url_for("admin.departments"))


# --- audit log ---------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@bp.route("/audit")
def audit():
    """The audit log, newest first: who did what to which row, and what changed."""
    form = AuditFilterForm(formdata=request.args)
    people = db.session.execute(
        sa.select(User.id, User.name, User.email).order_by(sa.func.lower(User.name), User.id)
    ).all()
    form.user.choices = [SelectChoice("", "Anyone")] + [
        SelectChoice(str(p.id), f"{p.name} ({p.email})") for p in people
    ]
    form.action.choices = [SelectChoice("", "Anything")] + [
        SelectChoice(code, history.LOG_ACTIONS[code]) for code in KNOWN_ACTIONS
    ]
    kinds = sorted(history.FILTER_KINDS.items(), key=lambda item: item[1])
    form.entity_type.choices = [SelectChoice("", "Anything")] + [
        SelectChoice(kind, words) for kind, words in kinds
    ]
    context = {"form": form}
    if not form.validate():
        return render_template("admin/audit.html", page=None, **context), 400
    query = sa.select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if form.user.data is not None:
        query = query.where(AuditEvent.user_id == form.user.data)
    if form.action.data:
        query = query.where(AuditEvent.action == form.action.data)
    if form.entity_type.data:
        query = query.where(AuditEvent.entity_type == form.entity_type.data)
    if form.date_from.data:
        query = query.where(AuditEvent.created_at >= _day_start(form.date_from.data))
    if form.date_to.data and form.date_to.data < date.max:
        end = _day_start(form.date_to.data + timedelta(days=1))
        query = query.where(AuditEvent.created_at < end)
    page = db.paginate(query, page=_page_number(), per_page=AUDIT_PER_PAGE, error_out=True)
    return render_template(
        "admin/audit.html", page=page, lines=history.log_lines(page.items), **context
    )
