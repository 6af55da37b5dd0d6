"""drives.accept_gifts_after_end: an ended drive's checkout may keep taking gifts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 19:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Existing drives get the default: once ended, their checkout closes.
    with op.batch_alter_table("drives", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "accept_gifts_after_end",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("drives", schema=None) as batch_op:
        batch_op.drop_column("accept_gifts_after_end")
