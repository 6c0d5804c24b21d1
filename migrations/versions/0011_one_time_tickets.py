"""One-time tickets: a step that may be finished once (the code owed after a right password, a
passkey registration's challenge), kept as the SHA-256 of its value until used or expired.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "one_time_tickets",
        sa.Column("ticket_hash", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(24), nullable=False),
        sa.Column("epoch", sa.String(16), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_one_time_tickets_expires_at", "one_time_tickets", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_one_time_tickets_expires_at", table_name="one_time_tickets")
    op.drop_table("one_time_tickets")
