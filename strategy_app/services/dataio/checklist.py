"""The service checklist lives in services.evaluation.checklist (reads and writes need it);
this name is kept so that code written against the old place keeps working."""

from strategy_app.services.evaluation.checklist import *  # noqa: F403
