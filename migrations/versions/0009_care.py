"""care as the program gives it: resources, closures, reservations, joint visits, pathways, itineraries, courses

Revision ID: 0009_care
Revises: 0008_messaging
Create Date: 2026-12-07 02:00:00.000000

Every appointment holds what it needs through `reservations`: one row per attending clinician (the
first `is_primary`, kept in step with the appointment by trigger, so every path that moves, cancels or
ends a visit keeps it right) and one per resource. The database refuses two holding reservations of one
clinician or one resource whose blocked intervals overlap: on PostgreSQL two exclusion constraints, on
SQLite triggers (its writes are serialised by BEGIN IMMEDIATE). Existing appointments are copied in.
The appointments table's own overlap guard (0001) and the slot search's index on it (0006) give way to
the reservations' (one guard for every party: a joint visit's second clinician is guarded the same way).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_care'
down_revision = '0008_messaging'
branch_labels = None
depends_on = None

HOLDING = "('booked', 'checked_in', 'in_visit', 'completed')"
CATALOG_TABLES = ("resources", "resource_rules", "resource_time_off", "site_closures")

PG_RESERVE = f"""
CREATE OR REPLACE FUNCTION appointments_reserve() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reservations (appointment_id, clinician_id, resource_id, is_primary, block_start, block_end, holding)
        VALUES (NEW.id, NEW.clinician_id, NULL, true, NEW.block_start, NEW.block_end, NEW.status IN {HOLDING});
    ELSIF NEW.block_start IS DISTINCT FROM OLD.block_start OR NEW.block_end IS DISTINCT FROM OLD.block_end
          OR NEW.status IS DISTINCT FROM OLD.status OR NEW.clinician_id IS DISTINCT FROM OLD.clinician_id THEN
        UPDATE reservations SET block_start = NEW.block_start, block_end = NEW.block_end,
            holding = NEW.status IN {HOLDING},
            clinician_id = CASE WHEN is_primary THEN NEW.clinician_id ELSE clinician_id END
        WHERE appointment_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
PG_RESERVE_TRIGGER = (
    "CREATE TRIGGER appointments_reserve AFTER INSERT OR UPDATE ON appointments "
    "FOR EACH ROW EXECUTE FUNCTION appointments_reserve()"
)
PG_EXCLUDE = (
    "ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap_{party} EXCLUDE USING gist "
    "({party}_id WITH =, tstzrange(block_start, block_end, '[)') WITH &&) "
    "WHERE (holding AND {party}_id IS NOT NULL)"
)
SQLITE_RESERVE = (
    f"""CREATE TRIGGER appointments_reserve_insert AFTER INSERT ON appointments
BEGIN
    INSERT INTO reservations (appointment_id, clinician_id, resource_id, is_primary, block_start, block_end, holding)
    VALUES (NEW.id, NEW.clinician_id, NULL, 1, NEW.block_start, NEW.block_end, NEW.status IN {HOLDING});
END""",
    f"""CREATE TRIGGER appointments_reserve_update
AFTER UPDATE OF block_start, block_end, status, clinician_id ON appointments
BEGIN
    UPDATE reservations SET block_start = NEW.block_start, block_end = NEW.block_end,
        holding = NEW.status IN {HOLDING},
        clinician_id = CASE WHEN is_primary THEN NEW.clinician_id ELSE clinician_id END
    WHERE appointment_id = NEW.id;
END""",
)
SQLITE_OVERLAP = """CREATE TRIGGER reservations_no_overlap_{op}
BEFORE {OP} ON reservations
WHEN NEW.holding AND EXISTS (
    SELECT 1 FROM reservations r
    WHERE r.holding AND r.id IS NOT NEW.id AND r.appointment_id IS NOT NEW.appointment_id
      AND r.block_start < NEW.block_end AND NEW.block_start < r.block_end
      AND ((NEW.clinician_id IS NOT NULL AND r.clinician_id = NEW.clinician_id)
           OR (NEW.resource_id IS NOT NULL AND r.resource_id = NEW.resource_id)))
BEGIN
    SELECT RAISE(ABORT, 'slot_unavailable: reservations_no_overlap');
END"""
PG_CATALOG_TRIGGER = (
    "CREATE TRIGGER {table}_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed()"
)
SQLITE_CATALOG_TRIGGER = (
    "CREATE TRIGGER {table}_catalog_{op} AFTER {OP} ON {table} "
    "BEGIN UPDATE catalog_state SET stamp = lower(hex(randomblob(16))); END"
)


def _tables():
    op.create_table('resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_resources_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resources')),
    sa.UniqueConstraint('location_id', 'name', name='uq_resources_site_name')
    )
    op.create_index(op.f('ix_resources_kind'), 'resources', ['kind'], unique=False)
    op.create_index(op.f('ix_resources_location_id'), 'resources', ['location_id'], unique=False)
    op.create_table('resource_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_resource_rules_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_rules'))
    )
    op.create_index(op.f('ix_resource_rules_resource_id'), 'resource_rules', ['resource_id'], unique=False)
    op.create_table('resource_time_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_resource_time_off_resource_id_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_time_off'))
    )
    op.create_index(op.f('ix_resource_time_off_resource_id'), 'resource_time_off', ['resource_id'], unique=False)
    op.create_table('site_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_site_closures_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_closures')),
    sa.UniqueConstraint('location_id', 'day', name='uq_site_closures_site_day')
    )
    op.create_table('pathways',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('min_gap_minutes', sa.Integer(), nullable=False),
    sa.Column('max_gap_minutes', sa.Integer(), nullable=False),
    sa.Column('self_bookable', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathways')),
    sa.UniqueConstraint('name', name=op.f('uq_pathways_name'))
    )
    op.create_table('itineraries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_itineraries_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_itineraries_pathway_id_pathways')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_itineraries_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_itineraries'))
    )
    op.create_index(op.f('ix_itineraries_patient_id'), 'itineraries', ['patient_id'], unique=False)
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('visit_type_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('pattern', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinician_id'], ['clinicians.id'], name=op.f('fk_courses_clinician_id_clinicians')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_courses_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_courses_location_id_locations')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_courses_patient_id_patients')),
    sa.ForeignKeyConstraint(['visit_type_id'], ['visit_types.id'], name=op.f('fk_courses_visit_type_id_visit_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    op.create_index(op.f('ix_courses_patient_id'), 'courses', ['patient_id'], unique=False)
    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('clinician_id', sa.Integer(), nullable=True),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('block_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('block_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('holding', sa.Boolean(), nullable=False),
    sa.CheckConstraint('(clinician_id IS NULL) <> (resource_id IS NULL)', name=op.f('ck_reservations_one_party')),
    sa.CheckConstraint('block_start < block_end', name=op.f('ck_reservations_block_order')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_reservations_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clinician_id'], ['clinicians.id'], name=op.f('fk_reservations_clinician_id_clinicians')),
    sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], name=op.f('fk_reservations_resource_id_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    op.create_index(op.f('ix_reservations_appointment_id'), 'reservations', ['appointment_id'], unique=False)
    for party in ("clinician", "resource"):
        where = sa.text(f"holding AND {party}_id IS NOT NULL")
        op.create_index(
            f'ix_reservations_{party}_holding', 'reservations', [f'{party}_id', 'block_start', 'block_end', 'appointment_id'],
            unique=False, postgresql_where=where, sqlite_where=where,
        )


def _columns(pg: bool):
    # Plain ADD COLUMN (no batch): a batch rebuild of `appointments` on SQLite would drop its triggers.
    op.add_column('visit_types', sa.Column('resource_kinds', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('visit_types', sa.Column('team_specialties', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('appointments', sa.Column('clinician_ids', sa.JSON(), nullable=True))
    op.add_column('appointments', sa.Column('resource_ids', sa.JSON(), nullable=True))
    op.add_column('appointments', sa.Column('itinerary_id', sa.Integer(), nullable=True))
    op.add_column('appointments', sa.Column('course_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_appointments_itinerary_id'), 'appointments', ['itinerary_id'], unique=False)
    op.create_index(op.f('ix_appointments_course_id'), 'appointments', ['course_id'], unique=False)
    if pg:
        op.create_foreign_key(op.f('fk_appointments_itinerary_id_itineraries'), 'appointments', 'itineraries', ['itinerary_id'], ['id'])
        op.create_foreign_key(op.f('fk_appointments_course_id_courses'), 'appointments', 'courses', ['course_id'], ['id'])


BACKFILL = (
    "INSERT INTO reservations (appointment_id, clinician_id, resource_id, is_primary, block_start, block_end, holding) "
    f"SELECT id, clinician_id, NULL, {{true}}, block_start, block_end, status IN {HOLDING} FROM appointments"
)


LEGACY_HOLDING = "status IN ('booked', 'checked_in', 'in_visit', 'completed')"
LEGACY_SQLITE_OVERLAP = """
CREATE TRIGGER appointments_no_overlap_{op}
BEFORE {OP} ON appointments
WHEN NEW.status IN {active} AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.clinician_id = NEW.clinician_id AND a.id IS NOT NEW.id AND a.status IN {active}
      AND a.block_start < NEW.block_end AND NEW.block_start < a.block_end)
BEGIN
    SELECT RAISE(ABORT, 'slot_unavailable: appointments_no_overlap');
END
"""


def _legacy_guard_down(pg: bool):
    if pg:
        op.execute("ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_no_overlap")
    else:
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS appointments_no_overlap_update")
    op.drop_index('ix_appointments_holding', table_name='appointments')


def _legacy_guard_up(pg: bool):
    where = sa.text(LEGACY_HOLDING)
    op.create_index(
        'ix_appointments_holding', 'appointments', ['clinician_id', 'block_start', 'block_end', 'id'],
        unique=False, postgresql_where=where, sqlite_where=where,
    )
    if pg:
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist "
            "(clinician_id WITH =, tstzrange(block_start, block_end, '[)') WITH &&) "
            f"WHERE ({LEGACY_HOLDING})"
        )
    else:
        for kind in ("insert", "update"):
            op.execute(LEGACY_SQLITE_OVERLAP.format(op=kind, OP=kind.upper(), active=HOLDING))


def upgrade():
    pg = op.get_bind().dialect.name == 'postgresql'
    _legacy_guard_down(pg)
    _tables()
    _columns(pg)
    op.execute(BACKFILL.format(true='true' if pg else '1'))
    if pg:
        op.execute(PG_RESERVE)
        op.execute(PG_RESERVE_TRIGGER)
        for party in ("clinician", "resource"):
            op.execute(PG_EXCLUDE.format(party=party))
        for table in CATALOG_TABLES:
            op.execute(PG_CATALOG_TRIGGER.format(table=table))
    else:
        for statement in SQLITE_RESERVE:
            op.execute(statement)
        for kind in ("insert", "update"):
            op.execute(SQLITE_OVERLAP.format(op=kind, OP=kind.upper()))
        for table in CATALOG_TABLES:
            for kind in ("insert", "update", "delete"):
                op.execute(SQLITE_CATALOG_TRIGGER.format(table=table, op=kind, OP=kind.upper()))


def downgrade():
    pg = op.get_bind().dialect.name == 'postgresql'
    if pg:
        op.execute("DROP TRIGGER IF EXISTS appointments_reserve ON appointments")
        op.execute("DROP FUNCTION IF EXISTS appointments_reserve()")
        for table in CATALOG_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_changed ON {table}")
        op.drop_constraint(op.f('fk_appointments_course_id_courses'), 'appointments', type_='foreignkey')
        op.drop_constraint(op.f('fk_appointments_itinerary_id_itineraries'), 'appointments', type_='foreignkey')
    else:
        for name in ("appointments_reserve_insert", "appointments_reserve_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index(op.f('ix_appointments_course_id'), table_name='appointments')
    op.drop_index(op.f('ix_appointments_itinerary_id'), table_name='appointments')
    for column in ('course_id', 'itinerary_id', 'resource_ids', 'clinician_ids'):
        op.drop_column('appointments', column)
    for column in ('team_specialties', 'resource_kinds'):
        op.drop_column('visit_types', column)
    for table in ('reservations', 'courses', 'itineraries', 'pathways', 'site_closures', 'resource_time_off',
                  'resource_rules', 'resources'):
        op.drop_table(table)
    _legacy_guard_up(pg)
