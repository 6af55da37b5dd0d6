"""drive breakdown: counted money per (drive, UTC hour, method) and per (drive,
amount), kept by the ledger; folded (lower-case) search indexes on donations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:15:00

The two tables are filled from the existing donations by one INSERT ... SELECT each,
by the ledger's rule for what counts (succeeded, amount less refunds and held
disputes above zero). The search indexes are on lower(donor_email), lower(donor_name),
lower(reference) and lower(provider_ref) after drive_id; on PostgreSQL in the "C" collation, so a prefix
is one index range whatever the database's locale. The (drive_id, status) index grows
to (drive_id, status, received_at, id), so a status filter is read in date order.
"""

import sqlalchemy as sa
from alembic import op

import donation_drive.models.types

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NET = "amount - refunded_amount - disputed_amount"
COUNTED = f"status = 'succeeded' AND {NET} > 0"
FOLDED = {
    "ix_donations_drive_email_folded": "donor_email",
    "ix_donations_drive_name_folded": "donor_name",
    "ix_donations_drive_reference_folded": "reference",
    "ix_donations_drive_provider_ref_folded": "provider_ref",
}


def upgrade():
    op.create_table(
        "drive_hour_totals",
        sa.Column("drive_id", sa.Integer(), nullable=False),
        sa.Column("hour", donation_drive.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("counted_amount", sa.BigInteger(), nullable=False),
        sa.Column("gift_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["drive_id"], ["drives.id"]),
        sa.PrimaryKeyConstraint("drive_id", "hour", "method"),
    )
    op.create_table(
        "drive_amount_counts",
        sa.Column("drive_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("gift_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["drive_id"], ["drives.id"]),
        sa.PrimaryKeyConstraint("drive_id", "amount"),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    # The UTC hour, stored as UTCDateTime stores it (timestamptz; naive UTC text on
    # SQLite, in SQLAlchemy's format).
    hour = (
        "date_trunc('hour', received_at, 'UTC')"
        if postgresql
        else "strftime('%Y-%m-%d %H:00:00.000000', received_at)"
    )
    op.execute(
        f"INSERT INTO drive_hour_totals (drive_id, hour, method, counted_amount, gift_count) "
        f"SELECT drive_id, {hour}, method, SUM({NET}), COUNT(*) FROM donations "
        f"WHERE {COUNTED} GROUP BY drive_id, {hour}, method"
    )
    op.execute(
        f"INSERT INTO drive_amount_counts (drive_id, amount, gift_count) "
        f"SELECT drive_id, {NET}, COUNT(*) FROM donations "
        f"WHERE {COUNTED} GROUP BY drive_id, {NET}"
    )
    collate = ' COLLATE "C"' if postgresql else ""
    for name, column in FOLDED.items():
        op.execute(f"CREATE INDEX {name} ON donations (drive_id, (lower({column}){collate}))")
    # A status filter in date order walks one index: (drive, status) grows the date.
    op.create_index(
        "ix_donations_drive_status_received",
        "donations",
        ["drive_id", "status", "received_at", "id"],
    )
    op.drop_index("ix_donations_drive_status", table_name="donations")


def downgrade():
    op.create_index("ix_donations_drive_status", "donations", ["drive_id", "status"])
    op.drop_index("ix_donations_drive_status_received", table_name="donations")
    for name in FOLDED:
        op.execute(f"DROP INDEX {name}")
    op.drop_table("drive_amount_counts")
    op.drop_table("drive_hour_totals")
