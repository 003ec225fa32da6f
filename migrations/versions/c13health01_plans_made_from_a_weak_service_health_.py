"""Plans made from a weak service-health element remember which element

Revision ID: c13health01
Revises: 837db8bae7b4
Create Date: 2026-12-06 09:33:02.728989

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13health01'
down_revision = '837db8bae7b4'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: existing plans were not made from an assessment.
    with op.batch_alter_table('action_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_element', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('action_plans', schema=None) as batch_op:
        batch_op.drop_column('health_element')
