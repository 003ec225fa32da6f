"""The timeline's filters (read from the query string, so no CSRF token)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from strategy_app.extensions import db
from strategy_app.models import Department, Objective, ServiceStrategy
from strategy_app.services.plumbing import per_version
from strategy_app.widgets import QuickSelect


class TimelineFilterForm(FlaskForm):
    """Which plans the timeline draws: one department's, one objective's, or all."""

    class Meta:
        csrf = False

    department = SelectField("Department", default="")
    objective = SelectField("Objective", default="", widget=QuickSelect())

    def load_choices(self) -> None:
        """Live departments and objectives (two queries; the objectives kept per data version)."""
        departments = db.session.execute(
            sa.select(Department.slug, Department.name)
            .where(Department.archived_at.is_(None))
            .order_by(Department.position, Department.name, Department.id)
        )
        self.department.choices = [SelectChoice("", "Every department")] + [
            SelectChoice(slug, name) for slug, name in departments
        ]
        self.objective.choices = per_version.memo(
            "timeline_objectives", None, _objectives, reads={"Objective", "ServiceStrategy"}
        )


def _objectives() -> list[SelectChoice]:
    """The live objectives to pick from (kept per data version: there may be hundreds)."""
    objectives = db.session.execute(
        sa.select(Objective.id, Objective.title)
        .join(Objective.service_strategy)
        .where(Objective.archived_at.is_(None), ServiceStrategy.archived_at.is_(None))
        .order_by(Objective.title, Objective.id)
    )
    return [SelectChoice("", "Every objective")] + [
        SelectChoice(str(oid), title) for oid, title in objectives
    ]
