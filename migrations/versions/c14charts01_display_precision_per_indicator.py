"""Display precision per indicator: the decimals its numbers are shown with (null: derived)

Revision ID: c14charts01
Revises: c16remind01
Create Date: 2026-12-06 10:20:40.128572

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c14charts01"
down_revision = "c16remind01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_precision", sa.SmallInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_column("display_precision")
