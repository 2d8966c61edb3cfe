"""Messaging: dispatch, reconcile, rendering, replies, signed links, feeds, earlier-slot offers."""
