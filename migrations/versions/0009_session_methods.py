"""Sessions record how they were signed in, when they last authenticated, and "keep me signed in".

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

from app.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_sessions") as table:
        table.add_column(sa.Column("methods", sa.String(64), nullable=False, server_default="password"))
        table.add_column(sa.Column("authenticated_at", UTCDateTime(), nullable=True))
        table.add_column(sa.Column("remember", sa.Boolean(), nullable=False, server_default=sa.false()))
    # A session from before this revision last authenticated when it was created.
    op.execute("UPDATE login_sessions SET authenticated_at = created_at")
    with op.batch_alter_table("login_sessions") as table:
        table.alter_column("authenticated_at", existing_type=UTCDateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("login_sessions") as table:
        table.drop_column("remember")
        table.drop_column("authenticated_at")
        table.drop_column("methods")
