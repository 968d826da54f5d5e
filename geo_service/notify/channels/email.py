"""E-mail through an SMTP server (``Settings.smtp_*``): plain text, one message per row."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from geo_service.config import Settings

TIMEOUT_SECONDS = 15.0


def configured(settings: Settings) -> bool:
    """Whether a mail server is set."""
    return bool(settings.smtp_host)


def build(settings: Settings, to: str, subject: str, body: str,
          message_id: str) -> EmailMessage:
    """The message; ``message_id`` is stable per notification so a receiver can spot repeats."""
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Hand one message to the server; raises on any refusal or connection problem."""
    mode = (settings.smtp_tls or "none").lower()
    if mode not in ("none", "starttls", "ssl"):
        raise ValueError(f"GEO_SERVICE_SMTP_TLS must be none, starttls or ssl, not {mode!r}")
    host, port = settings.smtp_host or "", settings.smtp_port
    context = ssl.create_default_context()
    server: smtplib.SMTP
    if mode == "ssl":
        server = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        server = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    with server:
        if mode == "starttls":
            server.starttls(context=context)
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password or "")
        server.send_message(message)
