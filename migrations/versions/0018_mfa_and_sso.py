"""two-factor sign-in and single sign-on: TOTP on users, the practice's two-factor roles and slug, OIDC providers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01

users: the TOTP secret (encrypted by the app like the integration secrets), when it came into
force, the last step a code was accepted for (no code is taken twice) and the sha256 hashes of the
unused recovery codes. practices: the roles that must sign in with two factors, and a slug that
names the practice in its single sign-on URLs, derived from the name for existing practices (a
second practice with the same slug gets the start of its id appended). oidc_providers: one per
practice, above tenancy like integrations (read before anyone is signed in).
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SLUGS = """
UPDATE practices p SET slug = s.slug FROM (
    SELECT id, CASE WHEN row_number() OVER (PARTITION BY base ORDER BY created_at, id) = 1 THEN base
                    ELSE base || '-' || left(CAST(id AS text), 8) END AS slug
    FROM (SELECT id, created_at,
                 coalesce(nullif(left(trim(both '-' from regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')), 60), ''),
                          'practice') AS base
          FROM practices) b
) s WHERE p.id = s.id
"""


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret_encrypted", sa.LargeBinary(), nullable=True))
    op.add_column("users", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("totp_recovery_hashes", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"),
                                     nullable=False))
    op.add_column("practices", sa.Column("two_factor_roles", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"),
                                         nullable=False))
    op.add_column("practices", sa.Column("slug", sa.String(length=80), nullable=True))
    op.execute(SLUGS)
    op.alter_column("practices", "slug", nullable=False)
    op.create_unique_constraint(op.f("uq_practices_slug"), "practices", ["slug"])
    op.create_table(
        "oidc_providers",
        sa.Column("practice_id", sa.UUID(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=False),
        sa.Column("client_secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("allowed_domains", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["practice_id"], ["practices.id"], name=op.f("fk_oidc_providers_practice_id_practices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("practice_id", name=op.f("pk_oidc_providers")),
    )
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON oidc_providers TO fcio_app")


def downgrade() -> None:
    op.drop_table("oidc_providers")
    op.drop_constraint(op.f("uq_practices_slug"), "practices", type_="unique")
    op.drop_column("practices", "slug")
    op.drop_column("practices", "two_factor_roles")
    for column in ("totp_recovery_hashes", "totp_last_step", "totp_enabled_at", "totp_secret_encrypted"):
        op.drop_column("users", column)
