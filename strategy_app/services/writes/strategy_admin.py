"""Writes on the top of the cascade that services.cascade lacks: the organization, ordering.

Also the alignment flags of a service strategy (a `conflicts` link, no `supports` link), so
that the cascade page and the service strategy's page ask one function the same question.
Like services.cascade: check the policy, validate, stage; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.models import CompanyStrategy, Organization, ServiceStrategy, StrategyLink, User
from strategy_app.schemas.common import Input, Text, Title
from strategy_app.services.plumbing.errors import ValidationFailed
from strategy_app.services.writes.cascade import archive, check, restore

Direction = Literal["up", "down"]


class OrganizationIn(Input):
    """The organization's name, vision and mission."""

    name: Title
    vision: Text = ""
    mission: Text = ""


def organization() -> Organization | None:
    """The one organization row, if it has been written."""
    return db.session.scalar(sa.select(Organization).order_by(Organization.id).limit(1))


def update_organization(actor: User, data: OrganizationIn) -> Organization:
    """Write the organization's name, vision and mission (creating the row the first time)."""
    check(actor, policy.STRATEGY)
    org = organization()
    if org is None:
        org = Organization(**data.model_dump())
        db.session.add(org)
    else:
        for key, value in data.model_dump().items():
            setattr(org, key, value)
    db.session.flush()
    return org


def next_company_position() -> int:
    """The position after the last company strategy (archived ones included)."""
    last = db.session.scalar(sa.select(sa.func.max(CompanyStrategy.position)))
    return 0 if last is None else last + 1


def reorder_company_strategy(actor: User, obj: CompanyStrategy, direction: Direction) -> bool:
    """Swap obj with its live neighbour above or below; False when it is already at that end.

    Positions of the live strategies are renumbered 0..n-1 in the process, so ties left by
    older data or a restore are settled too.
    """
    check(actor, policy.STRATEGY, obj)
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": ["Use up or down."]})
    if obj.archived_at is not None:
        raise ValidationFailed({"position": ["An archived strategy has no place in the order."]})
    ordered = list(
        db.session.scalars(
            sa.select(CompanyStrategy)
            .where(CompanyStrategy.archived_at.is_(None))
            .order_by(CompanyStrategy.position, CompanyStrategy.id)
        )
    )
    i = ordered.index(obj)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(ordered):
        return False
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
    db.session.flush()
    return True


def sync_archived(actor: User, obj: CompanyStrategy | ServiceStrategy) -> None:
    """Archive or restore obj so that archived_at agrees with the status a form just set."""
    if obj.status == "archived" and obj.archived_at is None:
        archive(actor, obj, policy.STRATEGY)
    elif obj.status != "archived" and obj.archived_at is not None:
        restore(actor, obj)
    db.session.flush()


@dataclass(frozen=True)
class LinkFlags:
    """What is wrong with a service strategy's alignment (nothing when both are empty)."""

    conflicts: tuple[StrategyLink, ...]
    unsupported: bool

    @property
    def any(self) -> bool:
        return bool(self.conflicts) or self.unsupported


def link_flags(links: Iterable[StrategyLink], live_company_ids: set[int]) -> LinkFlags:
    """Flag `conflicts` links and a missing `supports` link (links to archived ones ignored)."""
    live = [link for link in links if link.company_strategy_id in live_company_ids]
    return LinkFlags(
        conflicts=tuple(link for link in live if link.fit == "conflicts"),
        unsupported=not any(link.fit == "supports" for link in live),
    )
