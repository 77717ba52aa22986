"""drafts.quote_token: the quote token of the message a draft came from, so the morning push
quotes the user's own message

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.add_column(sa.Column("quote_token", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.drop_column("quote_token")
