"""Adapters to the outside world (SMS, email, calendar files), chosen from configuration."""
