"""The cascade above the plans: company strategies, service strategies, their links, objectives."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import ArchiveMixin, IdMixin, enum_check

if TYPE_CHECKING:
    from strategy_app.models.indicator import Indicator
    from strategy_app.models.plan import ActionPlan
    from strategy_app.models.user import User

STRATEGY_STATUSES = ("active", "archived")
SERVICE_STATUSES = ("draft", "active", "archived")
FITS = ("supports", "neutral", "conflicts")


class CompanyStrategy(IdMixin, ArchiveMixin, db.Model):
    """A general strategy of the company (reduce costs, grow sales, know the consumer)."""

    __tablename__ = "company_strategies"

    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    position: Mapped[int] = mapped_column(default=0)

    owner: Mapped[User | None] = relationship()
    links: Mapped[list[StrategyLink]] = relationship(back_populates="company_strategy")

    __table_args__ = (enum_check("status", STRATEGY_STATUSES, "status_valid"),)


class ServiceStrategy(IdMixin, ArchiveMixin, db.Model):
    """The customer-service strategy, which must complement the company strategies."""

    __tablename__ = "service_strategies"

    title: Mapped[str] = mapped_column(sa.String(200))
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default="active")

    owner: Mapped[User | None] = relationship()
    links: Mapped[list[StrategyLink]] = relationship(
        back_populates="service_strategy", cascade="all, delete-orphan"
    )
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="service_strategy", passive_deletes="all"
    )

    __table_args__ = (
        enum_check("status", SERVICE_STATUSES, "status_valid"),
        sa.CheckConstraint(
            "period_start IS NULL OR period_end IS NULL OR period_start <= period_end",
            name="period_order",
        ),
    )


class StrategyLink(IdMixin, db.Model):
    """How a service strategy fits one company strategy, and why."""

    __tablename__ = "strategy_links"

    service_strategy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("service_strategies.id", ondelete="CASCADE"), index=True
    )
    company_strategy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("company_strategies.id", ondelete="CASCADE"), index=True
    )
    fit: Mapped[str] = mapped_column(sa.String(20), default="supports")
    rationale: Mapped[str] = mapped_column(sa.Text, default="")

    service_strategy: Mapped[ServiceStrategy] = relationship(back_populates="links")
    company_strategy: Mapped[CompanyStrategy] = relationship(back_populates="links")

    __table_args__ = (
        sa.UniqueConstraint("service_strategy_id", "company_strategy_id"),
        enum_check("fit", FITS, "fit_valid"),
    )


class Objective(IdMixin, ArchiveMixin, db.Model):
    """What the service strategy must achieve, with expected results (indicators)."""

    __tablename__ = "objectives"

    service_strategy_id: Mapped[int] = mapped_column(
        sa.ForeignKey("service_strategies.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    # Free tags: moments of truth, critical success factors, KPI categories.
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Customer evidence shown beside its indicators: an NPS segment, a service-health element.
    nps_segment: Mapped[str | None] = mapped_column(sa.String(80))
    health_element: Mapped[str | None] = mapped_column(sa.String(40))

    service_strategy: Mapped[ServiceStrategy] = relationship(back_populates="objectives")
    owner: Mapped[User | None] = relationship()
    plans: Mapped[list[ActionPlan]] = relationship(
        back_populates="objective", passive_deletes="all"
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="objective", passive_deletes="all"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "start_date IS NULL OR due_date IS NULL OR start_date <= due_date", name="date_order"
        ),
    )
