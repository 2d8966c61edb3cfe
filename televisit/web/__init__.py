"""Web entry points: pages, the JSON API, (later) webhooks and realtime handlers."""

from werkzeug.routing import IntegerConverter

from televisit.domain.validation import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:...>` for ids: a number beyond the id columns' 32-bit range becomes 0, an id no row has.

    So such a path is a plain 404 from the view instead of a database error (a 500).
    """

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0
