"""Urgent cases: patients whose intake, or whose check-in for a video visit, raised red flags; opened, alerted
to the desk (an email through the outbox), listed, resolved with a note."""
