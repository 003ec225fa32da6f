"""Review meetings, with their notes and decisions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import ArchiveMixin, IdMixin

if TYPE_CHECKING:
    from strategy_app.models.plan import ActionPlan


class Review(IdMixin, ArchiveMixin, db.Model):
    """A meeting in which the team reviewed expected versus actual results."""

    __tablename__ = "reviews"

    date: Mapped[date] = mapped_column(sa.Date, index=True)
    attendees: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewDecision.id"
    )


class ReviewDecision(IdMixin, db.Model):
    """A decision taken in a review; it may become an action plan."""

    __tablename__ = "review_decisions"

    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    action_plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("action_plans.id", ondelete="SET NULL"), index=True
    )

    review: Mapped[Review] = relationship(back_populates="decisions")
    action_plan: Mapped[ActionPlan | None] = relationship()
