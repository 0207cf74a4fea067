"""private and personal links kept sealed: the links already stored in clear are sealed or hidden

From this revision on, participants' private links and jurors' sign-in links arrive sealed
(`kaleidoscope_shared.sealing`) and stay sealed here. What was stored before in clear:

- `entries.private_link`: sealed with the link key (`NOTIFICATIONS_LINK_KEY`, read from the service's
  settings as the service reads it);
- `deliveries.subject/text/html` of messages still to be sent (pending, failed, sending): each link
  sealed in place, so the message still carries it when it is sent;
- the same of messages already sent or dead: each link replaced by `[private link]` (the recipient has
  the message; nothing will send it again except a resend from the API, which then shows the marker).

No column changes. Downgrade does nothing: a sealed link is not opened again.

Revision ID: 7c1e5a0d3b62
Revises: fbc5f9c90fbc
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kaleidoscope_shared.sealing import is_sealed, seal

revision: str = "7c1e5a0d3b62"
down_revision: str | Sequence[str] | None = "fbc5f9c90fbc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLEAR_LINK = re.compile(
    r"https?://[^\s\"'<>]*?(?:/entries/[0-9A-Fa-f-]{36}\?token=|/jury/sign-in\?ticket=)[^\s\"'<>]+"
)
HIDDEN_LINK = "[private link]"
NOT_SENT = ("pending", "failed", "sending")

entries = sa.table("entries", sa.column("entry_id", sa.Uuid()), sa.column("private_link", sa.String()))
deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("text", sa.Text()),
    sa.column("html", sa.Text()),
)


def _link_key() -> str:
    from notifications.settings import NotificationsSettings

    return NotificationsSettings().link_key.get_secret_value()


def upgrade() -> None:
    key = _link_key()
    bind = op.get_bind()
    stored = bind.execute(
        sa.select(entries.c.entry_id, entries.c.private_link).where(entries.c.private_link.is_not(None))
    )
    for entry_id, link in list(stored):
        if not is_sealed(link):
            bind.execute(
                entries.update().where(entries.c.entry_id == entry_id).values(private_link=seal(link, key))
            )
    messages = bind.execute(
        sa.select(
            deliveries.c.id, deliveries.c.status, deliveries.c.subject, deliveries.c.text, deliveries.c.html
        )
    )
    for delivery_id, status, subject, text, html in list(messages):
        if status in NOT_SENT:

            def hide(found: re.Match[str]) -> str:
                return f"[[{seal(found.group(0), key)}]]"
        else:

            def hide(found: re.Match[str]) -> str:
                return HIDDEN_LINK

        changed = {
            name: CLEAR_LINK.sub(hide, value)
            for name, value in (("subject", subject), ("text", text), ("html", html))
            if value is not None and CLEAR_LINK.search(value)
        }
        if changed:
            bind.execute(deliveries.update().where(deliveries.c.id == delivery_id).values(**changed))


def downgrade() -> None:
    pass
