"""drafts.source_message_id: the LINE message a draft came from, so an unsend can erase it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.add_column(sa.Column("source_message_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.drop_column("source_message_id")
