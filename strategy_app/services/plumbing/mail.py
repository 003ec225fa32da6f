"""Sending e-mail: SMTP with STARTTLS and login, or `.eml` files in the outbox without a host.

The standard library's smtplib and email do all of it (STARTTLS, AUTH, multipart/alternative)
without another dependency; one connection serves a whole run, and a dropped connection is
opened again for the next message.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

OUTBOX_NAME = re.compile(r"^[0-9T]{15}-[0-9a-f]{12}\.eml$")


class MailError(Exception):
    """A message was not sent; the text says why (for the run's report and the next retry)."""


@dataclass(frozen=True)
class MailSettings:
    """The mail settings of DESIGN §5, taken from the app's config."""

    host: str | None
    port: int
    username: str | None
    password: str | None
    starttls: bool
    timeout: float
    ca_file: str | None
    sender: str
    outbox: Path

    @classmethod
    def of(cls, config: Any) -> MailSettings:
        """The settings in a Flask config."""
        return cls(
            host=config.get("SMTP_HOST"),
            port=int(config.get("SMTP_PORT", 587)),
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS", True)),
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS", 30)),
            ca_file=config.get("SMTP_CA_FILE"),
            sender=config["MAIL_FROM"],
            outbox=Path(config["OUTBOX_DIR"]),
        )

    @property
    def where(self) -> str:
        """Where messages go, in words."""
        return f"SMTP {self.host}:{self.port}" if self.host else f"the outbox {self.outbox}"


class Mailer:
    """Sends messages one by one over one SMTP connection (or into the outbox); use as `with`."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Say goodbye to the server, if connected."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, message: EmailMessage) -> str:
        """Send one message; returns where it went, raises MailError if it was not sent."""
        if not self.settings.host:
            return str(write_outbox(self.settings.outbox, message))
        try:
            smtp = self._connection()
            refused = smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            # The server answered with an error; the connection itself is still usable.
            reply = exc.smtp_error.decode(errors="replace") if exc.smtp_error else ""
            if exc.smtp_code == 421:  # "closing the channel": the connection is gone
                self._drop()
            raise MailError(f"refused by the server ({exc.smtp_code} {reply})".strip()) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(
                f"recipient refused by the server: {_refusals(exc.recipients)}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()  # timed out or dropped: the next message opens a new connection
            raise MailError(
                f"could not reach the mail server: {exc or type(exc).__name__}"
            ) from exc
        if refused:
            raise MailError(f"recipient refused by the server: {_refusals(refused)}")
        return f"SMTP {self.settings.host}"

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            s = self.settings
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            try:
                smtp.ehlo()
                if s.starttls:
                    context = ssl.create_default_context(cafile=s.ca_file)
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if s.username:
                    smtp.login(s.username, s.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp


def _refusals(refused: dict) -> str:
    """Each refused address with the server's answer: 'a@b (550 Mailbox unavailable)'."""
    parts = []
    for address, (code, reply) in refused.items():
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        parts.append(f"{address} ({code} {text})")
    return ", ".join(parts)


def write_outbox(outbox: Path, message: EmailMessage) -> Path:
    """Write message as a new `.eml` file in outbox (whole or not at all); return its path."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
    partial = outbox / f".{name}.part"
    partial.write_bytes(message.as_bytes())
    return partial.replace(outbox / name)


@dataclass(frozen=True)
class OutboxEntry:
    """One message of the outbox as the admin page lists it."""

    name: str
    to: str
    subject: str
    date: str


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


def outbox_entries(outbox: Path, limit: int = 200) -> tuple[list[OutboxEntry], int]:
    """The newest `limit` messages of the outbox, and how many there are."""
    if not outbox.is_dir():
        return [], 0
    names = sorted((p.name for p in outbox.iterdir() if OUTBOX_NAME.match(p.name)), reverse=True)
    entries = []
    for name in names[:limit]:
        msg = _parse(outbox / name)
        entries.append(
            OutboxEntry(
                name, str(msg["To"] or ""), str(msg["Subject"] or ""), str(msg["Date"] or "")
            )
        )
    return entries, len(names)


def outbox_message(outbox: Path, name: str) -> tuple[EmailMessage, str] | None:
    """One outbox message and its plain-text body, or None (an unknown or malformed name)."""
    if not OUTBOX_NAME.match(name) or not (outbox / name).is_file():
        return None
    msg = _parse(outbox / name)
    part = msg.get_body(preferencelist=("plain",))
    return msg, part.get_content() if part is not None else ""
