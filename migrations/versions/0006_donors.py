"""donors: every gift belongs to a donor; per-drive donor sums; gift_count; statements in the outbox

Creates ``donors`` (found by normalized email), ``drive_donors`` (what each donor's
gifts count toward each drive), ``donor_events`` (merges, privacy requests), adds
``donations.donor_id``, ``drives.gift_count`` and the outbox columns a year-end
statement needs, and attaches every existing gift to a donor: gifts with the same
normalized email (NFKC, stripped, case-folded) share one, a gift without an email is
its own. ``drives.donor_count`` becomes distinct donors whose gifts count; what it
counted before (counting gifts) moves to ``gift_count``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:30:00

"""

import unicodedata

from alembic import op
import sqlalchemy as sa

import donation_drive.models.types


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 1000


def _email_key(email):
    # A frozen copy of donation_drive.models.donor.normalize_email: a migration must
    # mean the same thing however the code changes later.
    if email is None:
        return None
    key = unicodedata.normalize("NFKC", email).strip().casefold()
    return key or None


def upgrade():
    op.create_table(
        "donors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column(
            "erased_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["donors.id"], name=op.f("fk_donors_merged_into_id_donors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
    )
    op.create_index("ix_donors_email_key", "donors", ["email_key"], unique=True)
    op.create_index("ix_donors_name", "donors", ["name"], unique=False)
    op.create_table(
        "drive_donors",
        sa.Column("drive_id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("counted_amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "counted_amount >= 0", name=op.f("ck_drive_donors_counted_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_drive_donors_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["drive_id"], ["drives.id"], name=op.f("fk_drive_donors_drive_id_drives")
        ),
        sa.PrimaryKeyConstraint("drive_id", "donor_id", name=op.f("pk_drive_donors")),
    )
    op.create_index("ix_drive_donors_donor", "drive_donors", ["donor_id"], unique=False)
    op.create_table(
        "donor_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", donation_drive.models.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_donor_events_donor_id_donors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donor_events")),
    )
    op.create_index("ix_donor_events_donor", "donor_events", ["donor_id", "id"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN with a named REFERENCES clause: batch mode would copy the
        # donations table, and dropping the old copy fails on the rows that point at it.
        op.execute(
            "ALTER TABLE donations ADD COLUMN donor_id INTEGER "
            "CONSTRAINT fk_donations_donor_id_donors REFERENCES donors (id)"
        )
        op.execute(
            "ALTER TABLE outbox_emails ADD COLUMN donor_id INTEGER "
            "CONSTRAINT fk_outbox_emails_donor_id_donors REFERENCES donors (id)"
        )
    else:
        op.add_column("donations", sa.Column("donor_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_donations_donor_id_donors"), "donations", "donors", ["donor_id"], ["id"]
        )
        op.add_column("outbox_emails", sa.Column("donor_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_outbox_emails_donor_id_donors"),
            "outbox_emails",
            "donors",
            ["donor_id"],
            ["id"],
        )
    op.create_index(
        "ix_donations_donor_received", "donations", ["donor_id", "received_at"], unique=False
    )
    op.add_column(
        "drives", sa.Column("gift_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("outbox_emails", sa.Column("period", sa.String(length=32), nullable=True))
    op.add_column("outbox_emails", sa.Column("attachment", sa.LargeBinary(), nullable=True))
    op.add_column(
        "outbox_emails", sa.Column("attachment_name", sa.String(length=200), nullable=True)
    )
    op.create_index("ix_outbox_emails_donor", "outbox_emails", ["donor_id"], unique=False)

    _attach_existing_gifts(op.get_bind())


def _attach_existing_gifts(connection):
    """Give every gift a donor and set each drive's figures from the gifts."""
    donations = sa.table(
        "donations",
        sa.column("id", sa.Integer),
        sa.column("drive_id", sa.Integer),
        sa.column("donor_id", sa.Integer),
        sa.column("donor_email", sa.String),
        sa.column("donor_name", sa.String),
        sa.column("status", sa.String),
        sa.column("amount", sa.BigInteger),
        sa.column("refunded_amount", sa.BigInteger),
        sa.column("disputed_amount", sa.BigInteger),
        sa.column("created_at", sa.DateTime),
    )
    # A Table (not a lightweight table clause): a batch INSERT ... RETURNING in
    # parameter order needs to know the primary key.
    donors = sa.Table(
        "donors",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email_key", sa.String),
        sa.Column("email", sa.String),
        sa.Column("name", sa.String),
        sa.Column("created_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime),
    )
    drive_donors = sa.table(
        "drive_donors",
        sa.column("drive_id", sa.Integer),
        sa.column("donor_id", sa.Integer),
        sa.column("counted_amount", sa.BigInteger),
    )
    drives = sa.table(
        "drives",
        sa.column("id", sa.Integer),
        sa.column("donor_count", sa.Integer),
        sa.column("gift_count", sa.Integer),
    )
    rows = connection.execute(
        sa.select(
            donations.c.id,
            donations.c.drive_id,
            donations.c.donor_email,
            donations.c.donor_name,
            donations.c.status,
            donations.c.amount,
            donations.c.refunded_amount,
            donations.c.disputed_amount,
        ).order_by(donations.c.id)
    ).all()
    # One donor per normalized email (named after the newest gift that gave a name),
    # one per gift without an email.
    people = {}  # key -> [email, name, [donation ids]]
    for row in rows:
        key = _email_key(row.donor_email) or f"\0gift:{row.id}"
        person = people.setdefault(key, [row.donor_email, None, []])
        if row.donor_name:
            person[1] = row.donor_name
        person[2].append(row.id)

    now = donation_drive.models.types.utcnow()
    donor_of = {}
    people_list = list(people.items())
    new_donor = sa.insert(donors).returning(donors.c.id, sort_by_parameter_order=True)
    for start in range(0, len(people_list), BATCH):
        batch = people_list[start : start + BATCH]
        new_rows = [
            {
                "email_key": None if key.startswith("\0") else key,
                "email": email,
                "name": name,
                "created_at": now,
                "updated_at": now,
            }
            for key, (email, name, _ids) in batch
        ]
        made = connection.execute(new_donor, new_rows).scalars().all()
        for (_key, (_email, _name, ids)), donor_id in zip(batch, made, strict=True):
            for donation_id in ids:
                donor_of[donation_id] = donor_id
    set_donor = (
        sa.update(donations)
        .where(donations.c.id == sa.bindparam("b_id"))
        .values(donor_id=sa.bindparam("b_donor"))
    )
    pairs = [{"b_id": i, "b_donor": d} for i, d in donor_of.items()]
    for start in range(0, len(pairs), BATCH):
        connection.execute(set_donor, pairs[start : start + BATCH])

    sums = {}  # (drive id, donor id) -> counted amount
    gifts = {}  # drive id -> counting gifts
    for row in rows:
        counted = 0
        if row.status == "succeeded":
            counted = max(row.amount - row.refunded_amount - row.disputed_amount, 0)
        key = (row.drive_id, donor_of[row.id])
        sums[key] = sums.get(key, 0) + counted
        gifts[row.drive_id] = gifts.get(row.drive_id, 0) + (counted > 0)
    values = [
        {"drive_id": drive_id, "donor_id": donor_id, "counted_amount": amount}
        for (drive_id, donor_id), amount in sorted(sums.items())
    ]
    for start in range(0, len(values), BATCH):
        connection.execute(sa.insert(drive_donors), values[start : start + BATCH])
    donor_counts = {}
    for (drive_id, _donor_id), amount in sums.items():
        donor_counts[drive_id] = donor_counts.get(drive_id, 0) + (amount > 0)
    for drive_id in connection.execute(sa.select(drives.c.id)).scalars().all():
        connection.execute(
            sa.update(drives)
            .where(drives.c.id == drive_id)
            .values(donor_count=donor_counts.get(drive_id, 0), gift_count=gifts.get(drive_id, 0))
        )


def downgrade():
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds donations, drives and outbox_emails to drop a column,
        # and dropping the old copy of a table other rows point at fails while foreign
        # keys are enforced: SQLite's own advice is to switch them off for the rebuild
        # (before any write opens the transaction), and on again once the connection
        # goes back to the pool.
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        sa.event.listen(
            connection.engine,
            "checkin",
            lambda dbapi_connection, _record: dbapi_connection.execute("PRAGMA foreign_keys = ON"),
            once=True,
        )
    # donor_count counted gifts before this revision.
    op.execute("UPDATE drives SET donor_count = gift_count")
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_emails_donor")
        if not sqlite:  # its inline REFERENCES goes with the column
            batch_op.drop_constraint(batch_op.f("fk_outbox_emails_donor_id_donors"), type_="foreignkey")
        batch_op.drop_column("attachment_name")
        batch_op.drop_column("attachment")
        batch_op.drop_column("period")
        batch_op.drop_column("donor_id")
    with op.batch_alter_table("drives", schema=None) as batch_op:
        batch_op.drop_column("gift_count")
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_index("ix_donations_donor_received")
        if not sqlite:  # its inline REFERENCES goes with the column
            batch_op.drop_constraint(batch_op.f("fk_donations_donor_id_donors"), type_="foreignkey")
        batch_op.drop_column("donor_id")
    op.drop_index("ix_donor_events_donor", table_name="donor_events")
    op.drop_table("donor_events")
    op.drop_index("ix_drive_donors_donor", table_name="drive_donors")
    op.drop_table("drive_donors")
    op.drop_index("ix_donors_name", table_name="donors")
    op.drop_index("ix_donors_email_key", table_name="donors")
    op.drop_table("donors")
