"""Login limiter state: per-client counts and blocks, and the global failure window.

Revision ID: 0003
Revises: 0001 (another branch adds 0002; the chain is fixed when they merge)
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_limits",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=False),
        sa.Column("exempt_until", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("login_limits")
