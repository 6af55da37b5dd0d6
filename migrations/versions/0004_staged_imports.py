"""staged imports: a CSV import's preview kept in the database until it is confirmed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 19:56:22.099763

"""
from alembic import op
import sqlalchemy as sa

import donation_drive.models.types


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staged_imports',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('drive_id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('send_receipts', sa.Boolean(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('created_at', donation_drive.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', donation_drive.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', donation_drive.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['admin_id'], ['admin_users.id'], name=op.f('fk_staged_imports_admin_id_admin_users')),
    sa.ForeignKeyConstraint(['drive_id'], ['drives.id'], name=op.f('fk_staged_imports_drive_id_drives')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staged_imports'))
    )
    op.create_index('ix_staged_imports_expires', 'staged_imports', ['expires_at'], unique=False)


def downgrade():
    op.drop_index('ix_staged_imports_expires', table_name='staged_imports')
    op.drop_table('staged_imports')
