"""Web entry points: pages, the JSON API, (later) webhooks and realtime handlers."""
