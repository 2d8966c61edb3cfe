"""catalog stamp and the slot search's index of bookings that hold time

Revision ID: 0006
Revises: 0005
Create Date: 2027-02-01 10:00:00.000000

Web processes keep the catalog (visit types, clinicians, sites, weekly rules) in memory and
reuse it while `catalog_state.stamp` is unchanged (televisit/services/booking/snapshot.py).
Every statement that changes a catalog table sets a new random stamp in the same transaction,
so a stamp is never reused, not even after a rollback.

`ix_appointments_holding` (partial: only appointments that hold time) lets the slot search read each
clinician's bookings in start order straight from the index (televisit/services/booking/busy_time.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ("locations", "visit_types", "clinicians", "clinician_visit_types", "availability_rules")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION catalog_changed() RETURNS trigger AS $$
BEGIN
    UPDATE catalog_state SET stamp = gen_random_uuid()::text;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = (
    "CREATE TRIGGER {table}_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed()"
)
SQLITE_TRIGGER = (
    "CREATE TRIGGER {table}_catalog_{op} AFTER {OP} ON {table} "
    "BEGIN UPDATE catalog_state SET stamp = lower(hex(randomblob(16))); END"
)
SQLITE_OPS = ("insert", "update", "delete")
HOLDING = "status IN ('booked', 'checked_in', 'in_visit', 'completed')"


def upgrade():
    op.create_table('catalog_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_catalog_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_state'))
    )
    op.execute("INSERT INTO catalog_state (id, stamp) VALUES (1, 'initial')")
    op.create_index(
        'ix_appointments_holding', 'appointments', ['clinician_id', 'block_start', 'block_end', 'id'],
        unique=False, postgresql_where=sa.text(HOLDING), sqlite_where=sa.text(HOLDING),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(PG_TRIGGER.format(table=table))
    else:
        for table in TABLES:
            for kind in SQLITE_OPS:
                op.execute(SQLITE_TRIGGER.format(table=table, op=kind, OP=kind.upper()))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS catalog_changed()")
    else:
        for table in TABLES:
            for kind in SQLITE_OPS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_{kind}")
    op.drop_index('ix_appointments_holding', table_name='appointments')
    op.drop_table('catalog_state')
