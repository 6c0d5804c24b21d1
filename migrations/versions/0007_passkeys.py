"""Passkeys (WebAuthn credentials).

Revision ID: 0007
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passkeys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("credential_id", sa.String(1400), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("last_challenge_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("credential_id", name="uq_passkeys_credential_id"),
    )


def downgrade() -> None:
    op.drop_table("passkeys")
