"""waiting room

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPOINTMENT_COLUMNS = (
    ('checked_in_at', sa.DateTime(timezone=True)),
    ('check_in_region', sa.String(length=8)),
    ('video_consent_at', sa.DateTime(timezone=True)),
    ('admitted_at', sa.DateTime(timezone=True)),
    ('ended_at', sa.DateTime(timezone=True)),
    ('starts_soon_sent_at', sa.DateTime(timezone=True)),
    ('licensure_alert_at', sa.DateTime(timezone=True)),
)


def upgrade():
    op.create_table('clinician_presence',
    sa.Column('clinician_id', sa.Integer(), nullable=False),
    sa.Column('late_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinician_id'], ['clinicians.id'], name=op.f('fk_clinician_presence_clinician_id_clinicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('clinician_id', name=op.f('pk_clinician_presence'))
    )
    op.create_table('socket_presence',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('clinician_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_socket_presence_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['clinician_id'], ['clinicians.id'], name=op.f('fk_socket_presence_clinician_id_clinicians'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_socket_presence_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_socket_presence'))
    )
    with op.batch_alter_table('socket_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_socket_presence_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_socket_presence_clinician_id'), ['clinician_id'], unique=False)

    op.create_table('waiting_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('body', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_waiting_messages_appointment_id_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiting_messages'))
    )
    with op.batch_alter_table('waiting_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_messages_appointment_id'), ['appointment_id'], unique=False)

    # Plain ADD COLUMN / CREATE INDEX: a batch rebuild of this table on SQLite would drop its overlap triggers.
    for name, type_ in APPOINTMENT_COLUMNS:
        op.add_column('appointments', sa.Column(name, type_, nullable=True))
    op.create_index('ix_appointments_status_start', 'appointments', ['status', 'start_at'], unique=False)


def downgrade():
    op.drop_index('ix_appointments_status_start', table_name='appointments')
    # Plain DROP COLUMN (SQLite 3.35+), again so that no table rebuild drops the overlap triggers.
    for name, _ in reversed(APPOINTMENT_COLUMNS):
        op.drop_column('appointments', name)

    with op.batch_alter_table('waiting_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiting_messages_appointment_id'))

    op.drop_table('waiting_messages')
    with op.batch_alter_table('socket_presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_socket_presence_clinician_id'))
        batch_op.drop_index(batch_op.f('ix_socket_presence_appointment_id'))

    op.drop_table('socket_presence')
    op.drop_table('clinician_presence')
