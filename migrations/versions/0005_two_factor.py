"""Second factor: the sealed authenticator secret and hashed recovery codes.

Revision ID: 0005
Revises: 0003 (the chain is fixed when branches merge)
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "totp_secrets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sealed_secret", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("code_hash", name="uq_recovery_codes_code_hash"),
    )


def downgrade() -> None:
    op.drop_table("recovery_codes")
    op.drop_table("totp_secrets")
