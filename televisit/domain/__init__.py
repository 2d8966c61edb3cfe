"""Pure domain: standard library only (no Flask, SQLAlchemy, Twilio or icalendar)."""
