"""NPS closed loop: indicators fed by NPS, objective evidence, follow-up resolved time

indicators.actuals_source ("manual" | "nps") and nps_segment: an indicator whose actuals are
the monthly NPS; objectives.nps_segment and health_element: the customer evidence shown on
an objective's page; follow_ups.resolved_at: when the loop closed (median days to close).

Revision ID: c13nps00001
Revises: c13health01
Create Date: 2026-12-06 09:32:04.013256

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13nps00001'
down_revision = 'c13health01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actuals_source', sa.String(length=10), server_default='manual', nullable=False))
        batch_op.add_column(sa.Column('nps_segment', sa.String(length=80), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_indicators_actuals_source_valid'), "actuals_source IN ('manual', 'nps')"
        )

    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nps_segment', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('health_element', sa.String(length=40), nullable=True))



def downgrade():
    with op.batch_alter_table('objectives', schema=None) as batch_op:
        batch_op.drop_column('health_element')
        batch_op.drop_column('nps_segment')

    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_indicators_actuals_source_valid'), type_='check')
        batch_op.drop_column('nps_segment')
        batch_op.drop_column('actuals_source')

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')

