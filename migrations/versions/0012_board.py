"""the spine tumor board: boards, members, places taken per session, cases

Revision ID: 0012_board
Revises: 0011_urgent
Create Date: 2026-12-08 02:00:00.000000

A board meets weekly at a fixed wall time at its site; its sessions are computed, not stored. What is stored
per session is how many places are taken (`board_seats`), the capacity guard: listing a case takes a place
with one guarded UPDATE, so two listings of the last place at once cannot both win (PostgreSQL: the second
waits for the first's row lock and re-checks; SQLite: serialised writes). `boards` and `board_members` are
catalog tables (the stamp triggers of 0006): a session is busy time for every member, read by the slot
engine from its in-memory catalog. `socket_presence.board_room` names the board session's video room a
socket is in (so the room's limit of 8 holds across web processes).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012_board"
down_revision = "0011_urgent"
branch_labels = None
depends_on = None

CATALOG_TABLES = ("boards", "board_members")
PG_CATALOG_TRIGGER = (
    "CREATE TRIGGER {table}_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed()"
)
SQLITE_CATALOG_TRIGGER = (
    "CREATE TRIGGER {table}_catalog_{op} AFTER {OP} ON {table} "
    "BEGIN UPDATE catalog_state SET stamp = lower(hex(randomblob(16))); END"
)


def _tables():
    op.create_table(
        "boards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_boards_weekday")),
        sa.CheckConstraint("start_minute BETWEEN 0 AND 1439", name=op.f("ck_boards_start_minute")),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_boards_duration")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_boards_capacity")),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], name=op.f("fk_boards_location_id_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boards")),
        sa.UniqueConstraint("name", name=op.f("uq_boards_name")),
    )
    op.create_table(
        "board_members",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_board_members_board_id_boards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["clinicians.id"],
            name=op.f("fk_board_members_clinician_id_clinicians"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("board_id", "clinician_id", name=op.f("pk_board_members")),
    )
    op.create_index(op.f("ix_board_members_clinician_id"), "board_members", ["clinician_id"], unique=False)
    op.create_table(
        "board_seats",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.CheckConstraint("taken >= 0", name=op.f("ck_board_seats_taken")),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_board_seats_board_id_boards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("board_id", "day", name=op.f("pk_board_seats")),
    )
    op.create_table(
        "board_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("presenter_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("imaging_ready", sa.Boolean(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recommendation", sa.Text(), nullable=True),
        sa.Column("pathway_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('listed', 'reviewed', 'removed')", name=op.f("ck_board_cases_status")),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], name=op.f("fk_board_cases_board_id_boards")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_board_cases_patient_id_patients")),
        sa.ForeignKeyConstraint(
            ["presenter_id"], ["clinicians.id"], name=op.f("fk_board_cases_presenter_id_clinicians")
        ),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathways.id"], name=op.f("fk_board_cases_pathway_id_pathways")),
        sa.ForeignKeyConstraint(
            ["reviewed_by_user_id"], ["users.id"], name=op.f("fk_board_cases_reviewed_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_board_cases_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_cases")),
    )
    op.create_index(op.f("ix_board_cases_patient_id"), "board_cases", ["patient_id"], unique=False)
    op.create_index("ix_board_cases_session", "board_cases", ["board_id", "day", "placed_at"], unique=False)
    op.create_index("ix_board_cases_reviewed", "board_cases", ["status", "reviewed_at"], unique=False)


def upgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    _tables()
    # the board's video room: which sockets are in which session's room (the waiting room's presence rows)
    op.add_column("socket_presence", sa.Column("board_room", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_socket_presence_board_room"), "socket_presence", ["board_room"], unique=False)
    for table in CATALOG_TABLES:
        if pg:
            op.execute(PG_CATALOG_TRIGGER.format(table=table))
        else:
            for kind in ("insert", "update", "delete"):
                op.execute(SQLITE_CATALOG_TRIGGER.format(table=table, op=kind, OP=kind.upper()))


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    for table in CATALOG_TABLES:
        if pg:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_changed ON {table}")
        else:
            for kind in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_{kind}")
    op.drop_index(op.f("ix_socket_presence_board_room"), table_name="socket_presence")
    with op.batch_alter_table("socket_presence") as batch:
        batch.drop_column("board_room")
    op.drop_index("ix_board_cases_reviewed", table_name="board_cases")
    op.drop_index("ix_board_cases_session", table_name="board_cases")
    op.drop_index(op.f("ix_board_cases_patient_id"), table_name="board_cases")
    for table in ("board_cases", "board_seats", "board_members", "boards"):
        op.drop_table(table)
