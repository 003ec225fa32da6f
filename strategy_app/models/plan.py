"""Department action plans, their check-ins and the plans that block them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import ArchiveMixin, IdMixin, enum_check

if TYPE_CHECKING:
    from strategy_app.models.indicator import Indicator, Measurement
    from strategy_app.models.org import Department
    from strategy_app.models.strategy import Objective
    from strategy_app.models.user import User

PLAN_STATES = ("planned", "in_progress", "done", "blocked", "cancelled")


class ActionPlan(IdMixin, ArchiveMixin, db.Model):
    """One department's part in reaching an objective."""

    __tablename__ = "action_plans"

    objective_id: Mapped[int] = mapped_column(
        sa.ForeignKey("objectives.id", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(sa.String(20), default="planned", index=True)
    progress_pct: Mapped[int] = mapped_column(default=0)
    budget: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    # Optimistic lock (DESIGN §6): SQLAlchemy refuses an UPDATE whose version is stale.
    version: Mapped[int] = mapped_column(default=1)
    # The service-health element (a key of services.evaluation.checklist) the plan was made
    # to strengthen, when it was made from a weak element of an assessment.
    health_element: Mapped[str | None] = mapped_column(sa.String(40))

    objective: Mapped[Objective] = relationship(back_populates="plans")
    department: Mapped[Department] = relationship()
    owner: Mapped[User | None] = relationship()
    # RESTRICT in the database: deleting a plan that has indicators is refused there.
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="action_plan", passive_deletes="all"
    )
    check_ins: Mapped[list[CheckIn]] = relationship(
        back_populates="action_plan",
        order_by="CheckIn.created_at.desc()",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        enum_check("state", PLAN_STATES, "state_valid"),
        sa.CheckConstraint("progress_pct BETWEEN 0 AND 100", name="progress_range"),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="budget_positive"),
        sa.CheckConstraint(
            "start_date IS NULL OR due_date IS NULL OR start_date <= due_date", name="date_order"
        ),
    )


class CheckIn(IdMixin, db.Model):
    """A progress update on a plan; the plan takes its state and progress."""

    __tablename__ = "check_ins"

    action_plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(sa.String(20))
    progress_pct: Mapped[int] = mapped_column()
    confidence: Mapped[int] = mapped_column(default=3)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # The off-track actual this check-in explains (its note holds the explanation, issue 15).
    measurement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("measurements.id", ondelete="SET NULL"), index=True, default=None
    )

    action_plan: Mapped[ActionPlan] = relationship(back_populates="check_ins")
    author: Mapped[User | None] = relationship()
    measurement: Mapped[Measurement | None] = relationship()

    __table_args__ = (
        enum_check("state", PLAN_STATES, "state_valid"),
        sa.CheckConstraint("progress_pct BETWEEN 0 AND 100", name="progress_range"),
        sa.CheckConstraint("confidence BETWEEN 1 AND 5", name="confidence_range"),
    )


class PlanDependency(IdMixin, db.Model):
    """A plan held up by another plan (usually another department's)."""

    __tablename__ = "plan_dependencies"

    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    blocked_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")

    plan: Mapped[ActionPlan] = relationship(foreign_keys=[plan_id])
    blocked_by: Mapped[ActionPlan] = relationship(foreign_keys=[blocked_by_id])

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "blocked_by_id"),
        sa.CheckConstraint("plan_id <> blocked_by_id", name="not_self"),
    )
