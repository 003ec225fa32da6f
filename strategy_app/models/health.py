"""Service health: checklist assessments, NPS responses and detractor follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import ArchiveMixin, IdMixin, UTCDateTime, enum_check

if TYPE_CHECKING:
    from strategy_app.models.plan import ActionPlan
    from strategy_app.models.user import User

FOLLOW_UP_STATES = ("open", "contacted", "resolved")


class Assessment(IdMixin, ArchiveMixin, db.Model):
    """A self-assessment against the built-in service checklist."""

    __tablename__ = "assessments"

    date: Mapped[date] = mapped_column(sa.Date)
    assessor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    assessor: Mapped[User | None] = relationship()
    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )


class AssessmentAnswer(IdMixin, db.Model):
    """The score (0 not at all … 4 fully) given to one checklist statement."""

    __tablename__ = "assessment_answers"

    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"))
    statement_key: Mapped[str] = mapped_column(sa.String(40))
    score: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    assessment: Mapped[Assessment] = relationship(back_populates="answers")

    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "statement_key"),
        sa.CheckConstraint("score BETWEEN 0 AND 4", name="score_range"),
    )


class NpsResponse(IdMixin, ArchiveMixin, db.Model):
    """One customer's answer to "how likely are you to recommend us" (0–10)."""

    __tablename__ = "nps_responses"

    date: Mapped[date] = mapped_column(sa.Date, index=True)
    score: Mapped[int] = mapped_column()
    segment: Mapped[str] = mapped_column(sa.String(80), default="")
    customer_ref: Mapped[str] = mapped_column(sa.String(120), default="")
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    follow_up: Mapped[FollowUp | None] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),)


class FollowUp(IdMixin, ArchiveMixin, db.Model):
    """Closing the loop with a detractor."""

    __tablename__ = "follow_ups"

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("nps_responses.id", ondelete="CASCADE"), unique=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(sa.String(20), default="open")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    action_plan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("action_plans.id", ondelete="SET NULL"), index=True
    )
    # When the loop closed (state became resolved): the median days to close counts to it.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    response: Mapped[NpsResponse] = relationship(back_populates="follow_up")
    owner: Mapped[User | None] = relationship()
    action_plan: Mapped[ActionPlan | None] = relationship()

    __table_args__ = (enum_check("state", FOLLOW_UP_STATES, "state_valid"),)
