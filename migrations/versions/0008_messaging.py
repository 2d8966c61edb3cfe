"""messaging hardening: replayed Twilio webhooks are no-ops; late messages are withdrawn with a reason

Revision ID: 0008_messaging
Revises: 0008_accounts
Create Date: 2027-02-15 10:00:00.000000

`twilio_receipts` holds one row per Twilio webhook already acted on: (MessageSid, event), where event is
`inbound` for a reply and the delivery status for a status callback. Its primary key is the guard: a
replayed (or concurrently re-delivered) webhook finds its row and does nothing (docs/messaging.md).

`outbox_messages.withdrawn_reason` records why a message was withdrawn instead of sent: the visit moved or
was cancelled, or the message fell due while the jobs process was down and is no longer timely.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_messaging'
down_revision = '0008_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('twilio_receipts',
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_sid', 'event', name=op.f('pk_twilio_receipts'))
    )
    with op.batch_alter_table('twilio_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twilio_receipts_received_at'), ['received_at'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_reason', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_reason')
    with op.batch_alter_table('twilio_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twilio_receipts_received_at'))
    op.drop_table('twilio_receipts')
