"""The application factory, configuration and health check."""

import secrets

import pytest

import config
from strategy_app import create_app


def test_testing_config(app):
    assert app.testing
    assert app.config["ENV_NAME"] == "testing"


def test_development_config_is_not_testing(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    cls = type("Dev", (config.Config,), {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None})
    app = create_app(cls)
    assert not app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'strategy.db'}"
    # the generated secret key is kept and reused
    key = (tmp_path / "secret_key").read_text()
    assert app.config["SECRET_KEY"] == key
    assert len(key) == 64
    again = create_app(type("Dev2", (config.Config,), {"SECRET_KEY": None}))
    assert again.config["SECRET_KEY"] == key


def test_production_refuses_to_start_without_secret_key():
    cls = type("Prod", (config.ProductionConfig,), {"SECRET_KEY": None})
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(cls)


def test_production_with_secret_key_has_secure_cookies(database_url):
    cls = type(
        "Prod",
        (config.ProductionConfig,),
        {"SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": database_url},
    )
    app = create_app(cls)
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h:5/db", "postgresql+psycopg://u@h:5/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_driver_is_normalised(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert config._database_url() == expected


def test_app_env_selects_config(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    assert config.config_from_env() is config.ProductionConfig
    monkeypatch.setenv("APP_ENV", "nonsense")
    with pytest.raises(RuntimeError, match="APP_ENV"):
        config.config_from_env()


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok"}


def test_healthz_503_when_database_does_not_answer(app_factory, tmp_path):
    broken = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["status"] != "ok"
