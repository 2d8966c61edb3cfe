"""web process heartbeats: sockets of a process that died are cleared

Revision ID: 0007
Revises: 0006
Create Date: 2027-02-08 10:00:00.000000

Every web process that holds waiting-room sockets writes a heartbeat to `web_processes`; each
`socket_presence` row names its process. The jobs process clears the sockets of a process whose
heartbeat stopped (it crashed or was killed), so no clinician stays "online" and no patient stays
"connected" after their process is gone (televisit/services/waiting_room/processes.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('web_processes',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_web_processes'))
    )
    op.add_column('socket_presence', sa.Column('process', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_socket_presence_process'), 'socket_presence', ['process'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_socket_presence_process'), table_name='socket_presence')
    with op.batch_alter_table('socket_presence', schema=None) as batch_op:
        batch_op.drop_column('process')
    op.drop_table('web_processes')
