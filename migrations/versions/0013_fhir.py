"""the FHIR facade: holds (pending appointments that keep their time), SMART Backend Services clients

Revision ID: 0013_fhir
Revises: 0012_board
Create Date: 2026-12-09 02:00:00.000000

A `$hold` is an appointment with status `pending` and `hold_expires_at`: its reservations hold time like a
booked visit's, so the same exclusion constraint (PostgreSQL) or triggers (SQLite) keep every other search
and booking off it; the jobs' sweep releases expired holds (status `cancelled`). The reservation triggers of
0009 are rewritten with `pending` among the holding statuses. `fhir_clients` are system-to-system clients
(an EHR) registered by an admin with their public keys (JWKS) and the scopes they may ask for; each acts
through a service user (role scheduler, no password) so that audit and `created_by_user_id` name it;
`fhir_client_tokens` are the access tokens issued to them (hashed, like API tokens).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_fhir"
down_revision = "0012_board"
branch_labels = None
depends_on = None

OLD_HOLDING = "('booked', 'checked_in', 'in_visit', 'completed')"
NEW_HOLDING = "('booked', 'checked_in', 'in_visit', 'completed', 'pending')"

PG_RESERVE = """
CREATE OR REPLACE FUNCTION appointments_reserve() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reservations (appointment_id, clinician_id, resource_id, is_primary, block_start, block_end, holding)
        VALUES (NEW.id, NEW.clinician_id, NULL, true, NEW.block_start, NEW.block_end, NEW.status IN {holding});
    ELSIF NEW.block_start IS DISTINCT FROM OLD.block_start OR NEW.block_end IS DISTINCT FROM OLD.block_end
          OR NEW.status IS DISTINCT FROM OLD.status OR NEW.clinician_id IS DISTINCT FROM OLD.clinician_id THEN
        UPDATE reservations SET block_start = NEW.block_start, block_end = NEW.block_end,
            holding = NEW.status IN {holding},
            clinician_id = CASE WHEN is_primary THEN NEW.clinician_id ELSE clinician_id END
        WHERE appointment_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
SQLITE_RESERVE = (
    """CREATE TRIGGER appointments_reserve_insert AFTER INSERT ON appointments
BEGIN
    INSERT INTO reservations (appointment_id, clinician_id, resource_id, is_primary, block_start, block_end, holding)
    VALUES (NEW.id, NEW.clinician_id, NULL, 1, NEW.block_start, NEW.block_end, NEW.status IN {holding});
END""",
    """CREATE TRIGGER appointments_reserve_update
AFTER UPDATE OF block_start, block_end, status, clinician_id ON appointments
BEGIN
    UPDATE reservations SET block_start = NEW.block_start, block_end = NEW.block_end,
        holding = NEW.status IN {holding},
        clinician_id = CASE WHEN is_primary THEN NEW.clinician_id ELSE clinician_id END
    WHERE appointment_id = NEW.id;
END""",
)


def _reserve_triggers(pg: bool, holding: str):
    if pg:
        op.execute(PG_RESERVE.format(holding=holding))  # the trigger itself stays; its function is replaced
        return
    for name in ("appointments_reserve_insert", "appointments_reserve_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in SQLITE_RESERVE:
        op.execute(statement.format(holding=holding))


def _tables():
    op.create_table(
        "fhir_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_fhir_clients_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_fhir_clients_client_id")),
    )
    op.create_table(
        "fhir_client_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["fhir_clients.id"],
            name=op.f("fk_fhir_client_tokens_client_id_fhir_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_client_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_fhir_client_tokens_token_hash")),
        # A client assertion is used once (SMART Backend Services: the server refuses a replayed `jti`).
        sa.UniqueConstraint("client_id", "jti", name="uq_fhir_client_tokens_jti"),
    )


def upgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    # Plain ADD COLUMN (no batch): a batch rebuild of `appointments` on SQLite would drop its triggers.
    op.add_column("appointments", sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_appointments_hold_expires_at", "appointments", ["hold_expires_at"], unique=False)
    _reserve_triggers(pg, NEW_HOLDING)
    _tables()


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    op.drop_table("fhir_client_tokens")
    op.drop_table("fhir_clients")
    op.execute("UPDATE appointments SET status = 'cancelled' WHERE status = 'pending'")
    _reserve_triggers(pg, OLD_HOLDING)
    op.drop_index("ix_appointments_hold_expires_at", table_name="appointments")
    op.drop_column("appointments", "hold_expires_at")
