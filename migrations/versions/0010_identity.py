"""patient identity: date of birth, MRN (unique when given), the folded name searches match, phone index

Revision ID: 0010_identity
Revises: 0009_care
Create Date: 2027-03-01 12:00:00.000000

- `patients.date_of_birth` (a date) and `patients.mrn` (unique when given: a unique index, in which NULLs never
  collide on SQLite or PostgreSQL, so records without an MRN are fine).
- `patients.name_key`: the name with case and accents folded away (televisit/domain/identity.py `fold`), so a
  search is one LIKE on both databases; filled here for the patients that exist.
- indexes on `phone` (search by number, likely duplicates) and on (date_of_birth, name_key).
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_identity'
down_revision = '0009_care'
branch_labels = None
depends_on = None


def _fold(text):
    """televisit.domain.identity.fold as of this revision (a migration keeps its own copy)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", bare).split())


def upgrade():
    # Plain ALTER TABLE on both databases: a batch rebuild of `patients` on SQLite would drop a table that
    # others reference (and cascade into intakes).
    op.add_column('patients', sa.Column('name_key', sa.String(length=240), nullable=True))
    op.add_column('patients', sa.Column('date_of_birth', sa.Date(), nullable=True))
    op.add_column('patients', sa.Column('mrn', sa.String(length=20), nullable=True))
    op.create_index('uq_patients_mrn', 'patients', ['mrn'], unique=True)
    op.create_index('ix_patients_born_name', 'patients', ['date_of_birth', 'name_key'], unique=False)
    op.create_index(op.f('ix_patients_phone'), 'patients', ['phone'], unique=False)
    conn = op.get_bind()
    patients = sa.table('patients', sa.column('id', sa.Integer), sa.column('name', sa.String),
                        sa.column('name_key', sa.String))
    for pid, name in conn.execute(sa.select(patients.c.id, patients.c.name)).all():
        conn.execute(patients.update().where(patients.c.id == pid).values(name_key=_fold(name or "")))


def downgrade():
    op.drop_index(op.f('ix_patients_phone'), table_name='patients')
    op.drop_index('ix_patients_born_name', table_name='patients')
    op.drop_index('uq_patients_mrn', table_name='patients')
    for column in ('mrn', 'date_of_birth', 'name_key'):
        op.drop_column('patients', column)  # SQLite 3.35+ drops a column in place, as in 0009's downgrade
