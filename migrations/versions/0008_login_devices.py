"""Issued device cookies: only a nonce stored here (as its SHA-256) names a trusted device.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_devices",
        sa.Column("nonce_hash", sa.String(64), primary_key=True),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_login_devices_issued_at", "login_devices", ["issued_at"])


def downgrade() -> None:
    op.drop_index("ix_login_devices_issued_at", table_name="login_devices")
    op.drop_table("login_devices")
