"""Expected results (indicators with milestones) and actual results (measurements)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import ArchiveMixin, IdMixin, enum_check

if TYPE_CHECKING:
    from strategy_app.models.plan import ActionPlan
    from strategy_app.models.strategy import Objective
    from strategy_app.models.user import User

DIRECTIONS = ("increase", "decrease", "maintain")
SOURCES = ("manual", "api", "import", "nps")
ACTUALS_SOURCES = ("manual", "nps")


class Indicator(IdMixin, ArchiveMixin, db.Model):
    """An expected result of an objective or of an action plan (exactly one of the two)."""

    __tablename__ = "indicators"

    objective_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("objectives.id", ondelete="RESTRICT"), index=True
    )
    action_plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("action_plans.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    unit: Mapped[str] = mapped_column(sa.String(40), default="")
    direction: Mapped[str] = mapped_column(sa.String(20), default="increase")
    baseline_value: Mapped[float] = mapped_column(sa.Float)
    baseline_date: Mapped[date] = mapped_column(sa.Date)
    target_value: Mapped[float] = mapped_column(sa.Float)
    target_date: Mapped[date] = mapped_column(sa.Date)
    tolerance: Mapped[float] = mapped_column(sa.Float, default=0.10)
    external_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    # "nps": the actuals are the monthly NPS (of nps_segment, or of every segment when None),
    # recomputed whenever responses change; "manual": entered or pushed as usual.
    actuals_source: Mapped[str] = mapped_column(
        sa.String(10), default="manual", server_default="manual"
    )
    nps_segment: Mapped[str | None] = mapped_column(sa.String(80))
    # decimals its numbers are shown with; None: derived from its unit and values
    display_precision: Mapped[int | None] = mapped_column(sa.SmallInteger)

    objective: Mapped[Objective | None] = relationship(back_populates="indicators")
    action_plan: Mapped[ActionPlan | None] = relationship(back_populates="indicators")
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="indicator", order_by="Milestone.date", cascade="all, delete-orphan"
    )
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="indicator", order_by="Measurement.date", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "(objective_id IS NULL) <> (action_plan_id IS NULL)", name="exactly_one_parent"
        ),
        enum_check("direction", DIRECTIONS, "direction_valid"),
        enum_check("actuals_source", ACTUALS_SOURCES, "actuals_source_valid"),
        sa.CheckConstraint("tolerance >= 0 AND tolerance <= 1", name="tolerance_range"),
        sa.CheckConstraint("baseline_date < target_date", name="date_order"),
    )


class Milestone(IdMixin, db.Model):
    """An expected value on a date strictly between an indicator's baseline and target."""

    __tablename__ = "milestones"

    # The unique (indicator_id, date) constraint doubles as the lookup index.
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(sa.Date)
    expected_value: Mapped[float] = mapped_column(sa.Float)

    indicator: Mapped[Indicator] = relationship(back_populates="milestones")

    __table_args__ = (sa.UniqueConstraint("indicator_id", "date"),)


class Measurement(IdMixin, db.Model):
    """An actual result; one per indicator and date (a second entry replaces the value)."""

    __tablename__ = "measurements"

    # The unique (indicator_id, date) constraint doubles as the lookup index.
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicators.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(sa.Date)
    value: Mapped[float] = mapped_column(sa.Float)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(10), default="manual")
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    indicator: Mapped[Indicator] = relationship(back_populates="measurements")
    entered_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "date"),
        enum_check("source", SOURCES, "source_valid"),
    )
