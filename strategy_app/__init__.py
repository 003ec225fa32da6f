"""The application factory: create_app(config_class) reads as a list of register_* calls."""

from __future__ import annotations

import os

from flask import Flask

from config import Config


def create_app(config_class: type[Config] = Config) -> Flask:
    """Build the Flask app for the given settings class."""
    config_class.init()
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(config_class)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extension instances and the database hooks (SQLite pragmas, audit)."""
    from strategy_app import database, security
    from strategy_app.extensions import bootstrap, csrf, db, login_manager, migrate
    from strategy_app.services.evaluation import history
    from strategy_app.services.plumbing import audit, data_version
    from strategy_app.services.plumbing import webhooks as webhook_queue

    db.init_app(app)
    migrations = os.path.join(os.path.dirname(app.root_path), "migrations")
    migrate.init_app(app, db, directory=migrations, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    database.configure(app)
    audit.install()
    data_version.install()
    webhook_queue.install()
    history.install(app)  # sessions showing a past day (?as_of=) never write
    security.register(app)
    security.install_proxy_fix(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    from strategy_app import (
        account,
        actuals,
        admin,
        api,
        assets,
        auth,
        departments,
        exports,
        health,
        main,
        meetings,
        objectives,
        plans,
        reports,
        search,
        strategy,
        strategymap,
        timeline,
    )

    for feature in (
        auth,
        main,
        account,
        admin,
        strategy,
        objectives,
        plans,
        actuals,
        departments,
        reports,
    ):
        app.register_blueprint(feature.bp)
    api.register(app)
    exports.register(app)
    assets.register(app)
    timeline.register(app)
    strategymap.register(app)
    meetings.register(app)
    search.register(app)
    health.register(app)
    from strategy_app import nps  # the customer's voice (issue 13)

    nps.register(app)


def register_template_helpers(app: Flask) -> None:
    """`can(action, obj)` in every template: buttons show only what the policy allows."""
    from flask_login import current_user

    from strategy_app import policy
    from strategy_app.services.evaluation import history

    @app.template_global("can")
    def can(action: str, obj=None) -> bool:
        if history.in_past() is not None:
            return False  # a page of the past offers no change (DESIGN §7 "As of a date")
        return policy.can(current_user, action, obj)

    @app.template_global("has_endpoint")
    def has_endpoint(endpoint: str) -> bool:
        return endpoint in app.view_functions

    # numbers as people write them, one way everywhere (services/plumbing/numbers.py)
    from strategy_app.services.plumbing import numbers

    app.add_template_filter(numbers.fmt, "number")
    app.add_template_filter(numbers.pct, "percent")
    app.add_template_filter(numbers.day, "day")
    app.add_template_global(numbers.decimals_of, "decimals_of")


def register_errorhandlers(app: Flask) -> None:
    """Error pages in the app's layout."""
    from strategy_app import errors, forms

    errors.register(app)
    forms.register(app)  # every form's errors in words, summarised at the top of its page


def register_commands(app: Flask) -> None:
    """The flask CLI commands of DESIGN §5."""
    from strategy_app import cli

    cli.register(app)
