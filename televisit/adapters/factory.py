"""Choose the SMS and email adapters from configuration (unset = the dev outbox)."""

from __future__ import annotations

from televisit.adapters.dev_outbox import DevOutbox


def sms_sender(config):
    """Twilio when TWILIO_ACCOUNT_SID is set, else the dev outbox."""
    if not config.get("TWILIO_ACCOUNT_SID"):
        return DevOutbox()
    from televisit.adapters.twilio_sms import TwilioSms

    return TwilioSms(
        account_sid=config["TWILIO_ACCOUNT_SID"],
        auth_token=config["TWILIO_AUTH_TOKEN"] or "",
        base_url=config["TWILIO_API_BASE_URL"],
        from_number=config.get("TWILIO_FROM_NUMBER"),
        messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
        timeout=float(config.get("TWILIO_TIMEOUT_SECONDS", 10)),
    )


def email_sender(config):
    """SMTP when SMTP_HOST is set, else the dev outbox."""
    if not config.get("SMTP_HOST"):
        return DevOutbox()
    from televisit.adapters.smtp_email import SmtpEmail

    return SmtpEmail(
        host=config["SMTP_HOST"],
        port=config["SMTP_PORT"],
        mail_from=config["MAIL_FROM"],
        username=config.get("SMTP_USERNAME"),
        password=config.get("SMTP_PASSWORD"),
        starttls=config.get("SMTP_STARTTLS", False),
    )
