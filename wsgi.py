"""Entry point for gunicorn (`gunicorn wsgi:app`) and the flask command (`flask --app wsgi`)."""

from config import config_from_env
from strategy_app import create_app

app = create_app(config_from_env())
