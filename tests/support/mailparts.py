"""Reading the emails the local SMTP server received: their MIME leaves, decoded."""

from __future__ import annotations

from email.message import EmailMessage


def leaves(msg: EmailMessage) -> list[EmailMessage]:
    """Every non-multipart part, in order."""
    return [part for part in msg.walk() if not part.is_multipart()]


def only_part(msg: EmailMessage, content_type: str) -> EmailMessage:
    """The single leaf of `content_type` (fails when there are none or several)."""
    found = [part for part in leaves(msg) if part.get_content_type() == content_type]
    assert len(found) == 1, [p.get_content_type() for p in leaves(msg)]
    return found[0]


def text_of(msg: EmailMessage, content_type: str) -> str:
    """The decoded text of the single `content_type` leaf, line endings normalised to \\n."""
    content = only_part(msg, content_type).get_content()
    content = content.decode() if isinstance(content, bytes) else content
    return content.replace("\r\n", "\n")


def everything(msg: EmailMessage) -> str:
    """Headers and every decoded leaf: what a reader of the message could possibly see."""
    bodies = []
    for part in leaves(msg):
        content = part.get_content()
        bodies.append(content.decode(errors="replace") if isinstance(content, bytes) else content)
    return msg.as_string() + "\n".join(bodies)
