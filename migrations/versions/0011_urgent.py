"""urgent cases opened at a video visit's check-in, not only by an intake

Revision ID: 0011_urgent
Revises: 0010_identity
Create Date: 2027-01-10 10:00:00.000000

A patient checking in for a video visit confirms they have had no new red-flag symptoms since booking; a
"yes" opens an urgent case with no intake behind it. `source` says where a case came from (`intake` or
`check_in`), `appointment_id` names the visit of a check-in case, and `intake_id` may be empty.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_urgent'
down_revision = '0010_identity'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('urgent_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=12), nullable=False, server_default='intake'))
        batch_op.add_column(sa.Column('appointment_id', sa.Integer(), nullable=True))
        batch_op.alter_column('intake_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_urgent_cases_appointment_id_appointments'), 'appointments', ['appointment_id'], ['id'],
            ondelete='CASCADE',
        )
        batch_op.create_index(batch_op.f('ix_urgent_cases_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index('ix_urgent_cases_status_resolved', ['status', 'resolved_at'], unique=False)


def downgrade():
    op.execute("DELETE FROM urgent_cases WHERE intake_id IS NULL")  # check-in cases have no intake to keep
    with op.batch_alter_table('urgent_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_urgent_cases_status_resolved')
        batch_op.drop_index(batch_op.f('ix_urgent_cases_appointment_id'))
        batch_op.drop_constraint(batch_op.f('fk_urgent_cases_appointment_id_appointments'), type_='foreignkey')
        batch_op.alter_column('intake_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('appointment_id')
        batch_op.drop_column('source')
