"""widget theme: a drive's default look for its widget (light/dark/auto, the
compact/standard/banner layout, an accent colour) and whether the widget shows the
counting rule line

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN, as 0009 does: a SQLite batch rebuild of drives
    # fails while other rows point at it and foreign keys are enforced.
    op.add_column(
        'drives',
        sa.Column('widget_theme', sa.String(length=8), nullable=False, server_default='light'),
    )
    op.add_column(
        'drives',
        sa.Column(
            'widget_layout', sa.String(length=16), nullable=False, server_default='standard'
        ),
    )
    op.add_column('drives', sa.Column('widget_accent', sa.String(length=7), nullable=True))
    op.add_column(
        'drives',
        sa.Column('counting_line_shown', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    for column in ('counting_line_shown', 'widget_accent', 'widget_layout', 'widget_theme'):
        op.drop_column('drives', column)
