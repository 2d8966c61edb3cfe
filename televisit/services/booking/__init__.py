"""Booking: slot search, the booking check, book/move/cancel, busy time, the catalog snapshot."""
