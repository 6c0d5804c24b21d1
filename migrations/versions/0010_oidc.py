"""The OpenID Provider (docs/oidc.md): registered apps, authorization codes, tokens.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_clients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.Text(), nullable=False),
        sa.Column("policy", sa.String(16), nullable=False),
        sa.Column("groups", sa.String(512), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("name", name="uq_oidc_clients_name"),
        sa.UniqueConstraint("client_id", name="uq_oidc_clients_client_id"),
    )
    op.create_table(
        "oidc_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(512), nullable=False),
        sa.Column("nonce", sa.String(512), nullable=True),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("code_challenge_method", sa.String(16), nullable=True),
        sa.Column("auth_time", UTCDateTime(), nullable=False),
        sa.Column("methods", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("code_hash", name="uq_oidc_codes_code_hash"),
    )
    op.create_index("ix_oidc_codes_expires_at", "oidc_codes", ["expires_at"])
    op.create_table(
        "oidc_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("access_hash", sa.String(64), nullable=False),
        sa.Column("refresh_hash", sa.String(64), nullable=True),
        sa.Column("scope", sa.String(512), nullable=False),
        sa.Column("methods", sa.String(64), nullable=False),
        sa.Column("auth_time", UTCDateTime(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("refresh_expires_at", UTCDateTime(), nullable=True),
        sa.Column("refresh_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("access_hash", name="uq_oidc_tokens_access_hash"),
        sa.UniqueConstraint("refresh_hash", name="uq_oidc_tokens_refresh_hash"),
    )
    op.create_index("ix_oidc_tokens_session_id", "oidc_tokens", ["session_id"])
    op.create_index("ix_oidc_tokens_family", "oidc_tokens", ["family"])
    op.create_index("ix_oidc_tokens_client_id", "oidc_tokens", ["client_id"])


def downgrade() -> None:
    op.drop_table("oidc_tokens")
    op.drop_table("oidc_codes")
    op.drop_table("oidc_clients")
