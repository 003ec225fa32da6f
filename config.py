"""Settings for each environment; the only module that reads environment variables."""

import math
import os
import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

load_dotenv(BASE_DIR / ".env")


def _local_secret_key() -> str:
    """Return the secret key kept under instance/, making one on first use."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'strategy.db'}"
    # Heroku-style and libpq-style URLs name the driver differently; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


KEY_RECIPE = "python -c 'import secrets; print(secrets.token_hex(32))'"
SECRET_KEY_MIN_BITS = 256
# The alphabets a random key is drawn from, smallest first: a key is credited log2(size) bits
# a character for the smallest alphabet that holds all of its characters.
_ALPHABETS = [
    (set("0123456789"), 10),
    (set("0123456789abcdef"), 16),
    (set("0123456789ABCDEF"), 16),
    (set("0123456789abcdefghijklmnopqrstuvwxyz"), 36),
    (set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), 62),
    (set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_+/="), 64),
]


def secret_key_problem(key: str) -> str | None:
    """Why key cannot be a production secret (None when it looks like 32 random bytes).

    An estimate, generous to random keys: length × log2(alphabet) must reach 256 bits, and the
    characters must look random (no repeated pattern, a spread of characters) so that
    "x" * 64 or a sentence does not pass.
    """
    size = next((n for chars, n in _ALPHABETS if set(key) <= chars), 95)
    if len(key) * math.log2(size) < SECRET_KEY_MIN_BITS:
        return f"it is {len(key)} characters long, too short for {SECRET_KEY_MIN_BITS} bits."
    counts = Counter(key)
    spread = -sum(c / len(key) * math.log2(c / len(key)) for c in counts.values())
    repeats = any(key[p:] == key[:-p] for p in range(1, len(key) // 2 + 1))
    if repeats or spread < 3.0 or " " in key:
        return "it does not look random (repeated or too few different characters, or words)."
    return None


class Config:
    """Local development defaults."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = None  # filled in by init()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # How long a SQLite writer waits for the lock before the request answers 503 "try again".
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000"))
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_MAX_HOURS)
    API_RATE_LIMIT_PER_TOKEN = int(os.environ.get("API_RATE_LIMIT_PER_TOKEN", "600"))
    API_RATE_LIMIT_PER_ADDRESS = int(os.environ.get("API_RATE_LIMIT_PER_ADDRESS", "1200"))
    # Pages (not the API, not static files): requests a minute per address and per user.
    WEB_RATE_LIMIT_PER_ADDRESS = int(os.environ.get("WEB_RATE_LIMIT_PER_ADDRESS", "1200"))
    WEB_RATE_LIMIT_PER_USER = int(os.environ.get("WEB_RATE_LIMIT_PER_USER", "600"))
    # How many proxies in front of the app set X-Forwarded-For/-Proto (0: trust none), and
    # the addresses (or networks) of those proxies: the headers count only from them.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", str(PROXY_FIX_X_FOR)))
    PROXY_FIX_TRUSTED = os.environ.get("PROXY_FIX_TRUSTED", "127.0.0.1,::1")
    # "Today" for every rule of DESIGN §3; a date string fixes it (tests, demos of the past).
    FIXED_TODAY = os.environ.get("FIXED_TODAY") or None

    @classmethod
    def init(cls) -> None:
        """Resolve settings that need the filesystem or a check (called by create_app)."""
        if cls.SQLALCHEMY_DATABASE_URI is None:
            cls.SQLALCHEMY_DATABASE_URI = _database_url()
        if not cls.SECRET_KEY:
            cls.SECRET_KEY = _local_secret_key()


class ProductionConfig(Config):
    """gunicorn wsgi:app with APP_ENV=production: no generated secrets, secure cookies."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # __Host- cookies are only accepted over HTTPS, for this exact host, on path /.
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember"

    @classmethod
    def init(cls) -> None:
        if not cls.SECRET_KEY:
            raise RuntimeError(
                "SECRET_KEY is not set. In production set the SECRET_KEY environment variable "
                f"(for example: {KEY_RECIPE})."
            )
        if problem := secret_key_problem(cls.SECRET_KEY):
            raise RuntimeError(
                f"SECRET_KEY is too weak: {problem} It signs sessions and CSRF tokens, so it "
                f"needs at least {SECRET_KEY_MIN_BITS // 8} random bytes. Make one with: "
                f"{KEY_RECIPE}"
            )
        super().init()


class TestConfig(Config):
    """The test suite: its own database (TEST_DATABASE_URL) and a fixed secret."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # Tests make hundreds of page requests a minute from one address, and compare every table
    # before and after a refused request: the pages' limit is off unless a test turns it on.
    WEB_RATE_LIMIT_PER_ADDRESS = 0
    WEB_RATE_LIMIT_PER_USER = 0


CONFIGS = {"development": Config, "production": ProductionConfig, "testing": TestConfig}


def config_from_env() -> type[Config]:
    """Pick the settings class named by APP_ENV (development by default)."""
    name = os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
