"""The organization (vision, mission) and its departments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strategy_app.extensions import db
from strategy_app.models.base import ArchiveMixin, IdMixin

if TYPE_CHECKING:
    from strategy_app.models.user import User


class Organization(IdMixin, db.Model):
    """The one company this installation tracks."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(sa.String(200))
    vision: Mapped[str] = mapped_column(sa.Text, default="")
    mission: Mapped[str] = mapped_column(sa.Text, default="")


class Department(IdMixin, ArchiveMixin, db.Model):
    """A functional area (sales, logistics, ...) that runs its own action plans."""

    __tablename__ = "departments"

    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    service_role: Mapped[str] = mapped_column(sa.Text, default="")
    # use_alter breaks the departments <-> users cycle (a user belongs to a department,
    # a department has a lead user) so tables can be created and restored in order.
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    colour: Mapped[str] = mapped_column(sa.String(7), default="#6c757d")
    position: Mapped[int] = mapped_column(default=0)

    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])

    __table_args__ = (
        sa.CheckConstraint("slug <> ''", name="slug_not_empty"),
        sa.CheckConstraint("length(colour) = 7", name="colour_hex"),
    )

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"
