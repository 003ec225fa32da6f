"""GET /strategy-map/: the cascade as a sunburst coloured by status, with each link's fit."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from strategy_app.extensions import db
from strategy_app.main.routes import as_of_date
from strategy_app.models import ServiceStrategy
from strategy_app.services.evaluation.clock import today
from strategy_app.strategymap import bp, pages


class MapFilterForm(FlaskForm):
    """Which service strategy the map shows (query string, so no CSRF token)."""

    class Meta:
        csrf = False

    service = SelectField("Service strategy", default="")

    def load_choices(self) -> None:
        """The live service strategies (one query)."""
        services = db.session.execute(
            sa.select(ServiceStrategy.id, ServiceStrategy.title)
            .where(ServiceStrategy.archived_at.is_(None))
            .order_by(ServiceStrategy.id)
        )
        self.service.choices = [SelectChoice("", "Every service strategy")] + [
            SelectChoice(str(sid), title) for sid, title in services
        ]


@bp.route("/")
@login_required
def index():
    """The map of every live service strategy (or ?service=<id> one of them) at ?as_of."""
    as_of = as_of_date()
    form = MapFilterForm(formdata=request.args)
    form.load_choices()
    context = {"form": form, "as_of": as_of, "today": today()}
    if not form.validate():
        return render_template("strategymap/index.html", view=None, **context), 400
    service_id = int(form.service.data) if form.service.data else None
    view = pages.build(as_of, service_id)
    return render_template("strategymap/index.html", view=view, **context)
