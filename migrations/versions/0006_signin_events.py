"""Sign-in activity: one row per sign-in event (refused attempts aggregated per address and minute).

Revision ID: 0006
Revises: 0005 (written on 0003; chained after the second factor's 0005 when main was merged)
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(256), nullable=True),
        sa.Column("detail", sa.String(100), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("minute", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("ip", "minute", name="uq_signin_events_ip_minute"),
    )
    op.create_index("ix_signin_events_at", "signin_events", ["at"])
    op.create_index("ix_signin_events_kind_at", "signin_events", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_signin_events_kind_at", table_name="signin_events")
    op.drop_index("ix_signin_events_at", table_name="signin_events")
    op.drop_table("signin_events")
