"""Email over SMTP (standard library): text and HTML alternatives plus a text/calendar part."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from televisit.adapters.base import OutgoingEmail, Permanent, Transient


def compose(msg: OutgoingEmail, mail_from: str) -> EmailMessage:
    """The MIME message: multipart/alternative (text, html[, text/calendar]) and an .ics attachment."""
    em = EmailMessage()
    em["From"], em["To"], em["Subject"] = mail_from, msg.to, msg.subject
    em["Message-ID"], em["Date"] = msg.message_id, formatdate(localtime=False)
    em.set_content(msg.text)
    em.add_alternative(msg.html, subtype="html")
    if msg.ics:
        method = msg.ics_method or "PUBLISH"
        # Inline calendar alternative (what Outlook/Gmail read as an invitation) and a file for everyone else.
        em.add_alternative(msg.ics.decode(), subtype="calendar", params={"method": method})
        em.add_attachment(msg.ics, maintype="application", subtype="ics", filename="invite.ics")
    return em


class SmtpEmail:
    """EmailSender over SMTP with optional STARTTLS and login."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        mail_from: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 15.0,
    ):
        self.host, self.port, self.mail_from = host, port, mail_from
        self.username, self.password, self.starttls, self.timeout = username, password, starttls, timeout

    def send_email(self, msg: OutgoingEmail) -> str:
        """Send one message; returns its Message-ID."""
        em = compose(msg, self.mail_from)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(em)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Permanent(f"recipient refused: {msg.to}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise Permanent(f"SMTP {exc.smtp_code}") from exc
            raise Transient(f"SMTP {exc.smtp_code}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise Transient(f"SMTP unavailable: {type(exc).__name__}") from exc
        return msg.message_id
