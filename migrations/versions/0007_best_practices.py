"""best practices: the standards library, reviews, findings, assets, a risk's acceptance date

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

`standard_library` is the built-in library, written here (a later revision that changes it holds
its own SQL); `standards` is a practice's own library, above tenancy like `users`. Every existing
practice gets a copy of the built-in library here, and a new practice gets one when it is created
(app/standards/actions.py copies the same table), so both start with the same entries. Each copy
keeps its entry's `key`, its id follows from the practice and that key (as in the app's copy), and
copying again adds nothing. Reviews, answers, findings and assets are tenant data: row security as
0006 wrote it, the runtime role's grants, and the change counters' triggers as 0004 created them.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TENANT_TABLES = ("reviews", "review_answers", "findings", "assets")
LISTED = "tenant_id = ANY ((SELECT NULLIF(current_setting('app.tenant_ids', true), '')::uuid[])::uuid[])"
COPY_LIBRARY = """
    INSERT INTO standards (id, practice_id, key, section, title, question, why_it_matters, priority, version)
    SELECT CAST(md5(CAST(p.id AS text) || '/' || l.key) AS uuid), p.id, l.key, l.section, l.title, l.question,
           l.why_it_matters, l.priority, 1
    FROM practices p CROSS JOIN standard_library l
    ORDER BY p.id, l.section, l.key
    ON CONFLICT (practice_id, key) DO NOTHING"""

# The built-in library: (key, section, title, question, why it matters, priority).
LIBRARY = (
    ("identity.mfa-everyone", "Identity and MFA", "Multi-factor sign-in for everyone",
     "Does every user sign in to email and business systems with a second factor?",
     "A stolen password alone should never open the company's email or money.", "HIGH"),
    ("identity.admin-accounts-separate", "Identity and MFA", "Separate administrator accounts",
     "Do people who administer systems use a separate account for it, never their everyday one?",
     "One opened phishing email should not hand an attacker the keys to every system.", "HIGH"),
    ("identity.single-sign-on", "Identity and MFA", "One sign-in for business applications",
     "Do the main business applications use the company's central sign-in rather than their own passwords?",
     "When someone leaves, one switch locks them out everywhere instead of a dozen forgotten accounts.", "MEDIUM"),
    ("identity.password-manager", "Identity and MFA", "A company password manager",
     "Do staff keep shared and personal work passwords in a company password manager?",
     "Passwords on sticky notes and in spreadsheets are how small breaches become large ones.", "LOW"),
    ("endpoint.antimalware-managed", "Endpoint security and patching", "Managed protection on every computer",
     "Does every company computer run centrally managed anti-malware that reports to someone who acts on alerts?",
     "Ransomware that is spotted on one laptop in minutes does not reach the whole company.", "HIGH"),
    ("endpoint.patching-monthly", "Endpoint security and patching", "Updates installed every month",
     "Are operating system and application updates installed on every computer and server within a month of release?",
     "Most successful attacks use weaknesses for which a fix was already available.", "HIGH"),
    ("endpoint.disk-encryption", "Endpoint security and patching", "Encrypted laptops",
     "Are the disks of all laptops and mobile devices encrypted?",
     "A laptop left in a taxi is then a hardware loss, not a reportable data breach.", "MEDIUM"),
    ("endpoint.no-local-admin", "Endpoint security and patching", "No everyday administrator rights",
     "Do staff work without administrator rights on their own computers?",
     "Malware can only do what the person who opened it is allowed to do.", "MEDIUM"),
    ("email.phishing-filter", "Email security", "Filtering of incoming email",
     "Is incoming email filtered for phishing, malware and impersonation before it reaches inboxes?",
     "Email is the door most attacks and invoice frauds walk through.", "HIGH"),
    ("email.domain-authentication", "Email security", "Protection of the company's email domain",
     "Are SPF, DKIM and DMARC set up so that others cannot send email in the company's name?",
     "Customers and suppliers should not receive convincing fake invoices from our own address.", "MEDIUM"),
    ("email.awareness-training", "Email security", "Staff trained to spot phishing",
     "Do all staff take security awareness training, with simulated phishing, at least once a year?",
     "A staff member who pauses before clicking stops what no filter catches.", "MEDIUM"),
    ("backup.all-critical-data", "Backup and disaster recovery", "Every critical system is backed up",
     "Are all critical systems and data, including cloud services such as email and file sharing, backed up daily?",
     "Data that is not backed up is lost for good after a ransomware attack or a mistake.", "HIGH"),
    ("backup.offsite-copy", "Backup and disaster recovery", "An off-site copy that attackers cannot delete",
     "Is at least one backup copy kept off site, or in the cloud, where it cannot be changed or deleted from the office network?",
     "Attackers delete the backups they can reach before they ask for a ransom.", "HIGH"),
    ("backup.restore-tested", "Backup and disaster recovery", "Restores are tested",
     "Has a restore of a critical system been tested, and its result recorded, in the last six months?",
     "A backup that has never been restored is only a hope that it works.", "HIGH"),
    ("backup.recovery-objectives", "Backup and disaster recovery", "Recovery objectives agreed with the business",
     "Has the business agreed, for each critical system, how long it can be down and how much recent data it can lose?",
     "It tells everyone in advance how fast the company will be back, and what that costs.", "MEDIUM"),
    ("continuity.plan-written", "Business continuity and incident response", "A written continuity plan",
     "Is there a written plan for keeping the business running when a site, a key system or a key supplier is unavailable?",
     "In a crisis, people follow the plan they have rather than invent one under pressure.", "HIGH"),
    ("continuity.incident-response-plan", "Business continuity and incident response", "A plan for security incidents",
     "Is there an incident response plan that says who decides, who is called (insurer, lawyers, authorities) and who talks to customers?",
     "The first hours of a breach decide how much it costs and what must be disclosed.", "HIGH"),
    ("continuity.plan-tested", "Business continuity and incident response", "The plans are rehearsed",
     "Have the continuity and incident response plans been rehearsed with the people named in them in the last twelve months?",
     "A rehearsal finds the missing phone number before a real incident does.", "MEDIUM"),
    ("continuity.cyber-insurance", "Business continuity and incident response", "Cyber insurance reviewed",
     "Does the company hold cyber insurance, and do its controls meet what the policy requires?",
     "An insurer can refuse a claim when the controls promised in the application were not in place.", "LOW"),
    ("remote.vpn-or-zero-trust", "Remote access", "Secure remote access",
     "Do people reach internal systems from outside only through a secured, multi-factor remote access service?",
     "Systems opened directly to the internet are found and attacked within hours.", "HIGH"),
    ("remote.no-exposed-desktops", "Remote access", "No remote desktop open to the internet",
     "Is it confirmed that no remote desktop or management port is reachable directly from the internet?",
     "An exposed remote desktop is the most common entry point for ransomware.", "HIGH"),
    ("remote.personal-devices", "Remote access", "Rules for personal devices",
     "Is company data on personal phones and computers limited to managed apps that can be wiped when someone leaves?",
     "Company data should leave with the company, not with the employee's phone.", "MEDIUM"),
    ("physical.server-room-locked", "Physical access", "Locked server and network rooms",
     "Are servers and network equipment in a locked space that only named people can enter?",
     "Anyone who can touch the equipment can switch off or take the business.", "MEDIUM"),
    ("physical.visitor-control", "Physical access", "Visitors are signed in and accompanied",
     "Are visitors signed in and accompanied in areas with computers or paper records?",
     "An unaccompanied visitor can plug a device into the network in seconds.", "LOW"),
    ("physical.power-protection", "Physical access", "Protected power for key equipment",
     "Do servers and core network equipment run on an uninterruptible power supply that shuts them down safely?",
     "A power cut should be an inconvenience, not corrupted systems and lost data.", "LOW"),
    ("network.firewall-redundancy", "Network resilience", "No single firewall as a single point of failure",
     "If the main firewall fails, can the office keep working (a second firewall, or a replacement on site within hours)?",
     "When the one firewall breaks, the whole office stops until a replacement arrives.", "MEDIUM"),
    ("network.internet-redundancy", "Network resilience", "A second internet line",
     "Does each office that depends on cloud systems have a second internet connection from another provider?",
     "With everything in the cloud, losing the internet line means nobody can work.", "MEDIUM"),
    ("network.segmented", "Network resilience", "Guests and devices kept apart",
     "Are guest Wi-Fi, printers and cameras on networks separate from the one business computers use?",
     "A compromised camera or a guest's laptop should not reach the finance system.", "MEDIUM"),
    ("network.documented", "Network resilience", "The network is documented",
     "Is there an up-to-date diagram and list of the network's equipment, internet lines and who to call for each?",
     "Outages are fixed in minutes instead of hours when nobody has to guess how things connect.", "LOW"),
    ("data.classified", "Data protection", "The company knows where its sensitive data is",
     "Is it known which systems hold customer, employee, financial or regulated data, and who owns each?",
     "You cannot protect, or report a breach of, data you do not know you have.", "HIGH"),
    ("data.access-reviewed", "Data protection", "Access to sensitive data is reviewed",
     "Are the people with access to sensitive data and shared folders reviewed at least once a year?",
     "Access tends to grow with every role change until everyone can see everything.", "MEDIUM"),
    ("data.retention", "Data protection", "Data is kept only as long as needed",
     "Is there an agreed retention period for the main kinds of records, and are old records deleted?",
     "Old data no one needs is pure risk: it can only be lost or stolen.", "LOW"),
    ("data.privacy-obligations", "Data protection", "Privacy obligations are met",
     "Are the company's privacy obligations (for example GDPR or state privacy laws) known, and is someone responsible for them?",
     "Regulators fine companies for missing basics long before anything is stolen.", "MEDIUM"),
    ("vendors.inventory", "Vendor management", "A list of every IT vendor",
     "Is there a current list of IT vendors and services, with what each costs and who owns the relationship?",
     "Forgotten subscriptions cost money every month and are often the least secured.", "MEDIUM"),
    ("vendors.contracts-reviewed", "Vendor management", "Contracts reviewed before they renew",
     "Are IT contracts reviewed before their renewal or notice date?",
     "Contracts that renew silently lock the company into prices and terms for years.", "MEDIUM"),
    ("vendors.commodity-vs-partner", "Vendor management", "Suppliers and partners told apart",
     "Is each vendor classed as a replaceable commodity supplier or a strategic partner, and managed accordingly?",
     "Price is what matters with a commodity; a partner deserves joint plans and regular reviews.", "LOW"),
    ("vendors.security-assessed", "Vendor management", "Critical vendors' security checked",
     "Have vendors that hold company data or run critical services been asked how they protect it (a report or questionnaire)?",
     "A breach at a supplier is still the company's problem with its customers.", "MEDIUM"),
    ("lifecycle.no-unsupported-os", "Technology lifecycle", "No unsupported operating systems",
     "Is every computer and server on an operating system that still receives security updates from its maker?",
     "An unsupported system stays open to every weakness found after its last update.", "HIGH"),
    ("lifecycle.hardware-in-warranty", "Technology lifecycle", "Critical hardware in warranty",
     "Are servers, firewalls and other critical hardware in warranty or under a support contract?",
     "A failed server without warranty can take days to replace instead of hours.", "MEDIUM"),
    ("lifecycle.replacement-planned", "Technology lifecycle", "Replacements planned and budgeted",
     "Is there a schedule, with costs, for replacing hardware and software before it reaches its end of life?",
     "Planned replacements are spread over the years; unplanned ones arrive all at once.", "MEDIUM"),
    ("lifecycle.asset-inventory", "Technology lifecycle", "An inventory of hardware and software",
     "Is there an up-to-date inventory of computers, servers, network equipment and software licences?",
     "You cannot secure, insure or budget for equipment you do not know you have.", "MEDIUM"),
    ("planning.annual-it-plan", "IT planning", "An annual IT plan",
     "Is there a written IT plan for the year, tied to the business's goals, that the leadership has seen?",
     "IT spending then serves what the business wants to achieve rather than whatever breaks next.", "HIGH"),
    ("planning.budget-reviewed", "IT planning", "An IT budget reviewed with the business",
     "Is there an IT budget for the year, reviewed with the business's leadership at least every quarter?",
     "No surprises: the leadership sees what IT costs and what is coming before it is spent.", "HIGH"),
    ("planning.roadmap", "IT planning", "A roadmap beyond this year",
     "Is there a roadmap of IT initiatives for the next two to three years, with their expected costs and benefits?",
     "Large changes such as a new ERP or a move to the cloud need years of preparation, not weeks.", "LOW"),
    ("governance.monthly-steering", "Governance", "Monthly steering meetings",
     "Does a steering meeting with the leaders of the main business functions review IT every month?",
     "IT decisions are then made by the people who run the business, not left to chance.", "HIGH"),
    ("governance.policies-approved", "Governance", "IT policies approved by the leadership",
     "Are the core IT policies (security, acceptable use, backup, remote access) written, approved and reviewed every year?",
     "Policies tell staff what is expected, and insurers and auditors ask for them first.", "MEDIUM"),
    ("governance.risk-register", "Governance", "IT risks recorded and owned",
     "Are the main IT risks recorded, each with an owner and a decision to reduce, accept or transfer it?",
     "A risk accepted knowingly is a business decision; an unknown one is a surprise.", "MEDIUM"),
    ("onboarding.onboarding-checklist", "Onboarding and offboarding", "A checklist for new staff",
     "Does every new starter get their accounts, devices and security training through a standard checklist?",
     "New staff are productive on day one and start with the right access, not too much.", "LOW"),
    ("onboarding.offboarding-same-day", "Onboarding and offboarding", "Access removed on the day someone leaves",
     "Are a leaver's accounts disabled, and company devices and data recovered, on their last day?",
     "Former staff with working passwords are a common source of data theft and sabotage.", "HIGH"),
    ("onboarding.role-changes", "Onboarding and offboarding", "Access adjusted when roles change",
     "When someone changes role, is access they no longer need removed?",
     "People who have moved on from finance should no longer approve payments.", "LOW"),
)


def tenant_match(table: str) -> str:
    """The policy 0006 gave every tenant table: listed tenants, or ACTIVE tenants of the practice named."""
    return (f"{LISTED} OR EXISTS (SELECT 1 FROM tenants t WHERE t.id = {table}.tenant_id AND t.status = 'ACTIVE' "
            "AND t.practice_id = (SELECT NULLIF(current_setting('app.practice_id', true), '')::uuid) OFFSET 0)")


def upgrade() -> None:
    op.create_table('standard_library',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('section', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('why_it_matters', sa.Text(), nullable=False),
    sa.Column('priority', sa.Enum('HIGH', 'MEDIUM', 'LOW', name='standard_priority'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_standard_library'))
    )
    op.create_table('standards',
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('practice_id', sa.UUID(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=True),
    sa.Column('section', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('why_it_matters', sa.Text(), nullable=False),
    sa.Column('priority', sa.Enum('HIGH', 'MEDIUM', 'LOW', name='standard_priority'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Standard:' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practices.id'], name=op.f('fk_standards_practice_id_practices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standards')),
    sa.UniqueConstraint('practice_id', 'key', name=op.f('uq_standards_practice_id_key'))
    )
    op.create_index('ix_standards_practice_id_section', 'standards', ['practice_id', 'section', 'title', 'id'], unique=False)
    op.create_table('assets',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('LAPTOP', 'WORKSTATION', 'SERVER', 'NETWORK', 'STORAGE', 'MOBILE', 'PRINTER', 'SOFTWARE', 'CLOUD_SERVICE', 'OTHER', name='asset_kind'), nullable=False),
    sa.Column('manufacturer', sa.String(length=200), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('serial_number', sa.String(length=200), nullable=True),
    sa.Column('purchased_on', sa.Date(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('end_of_support', sa.Date(), nullable=True),
    sa.Column('retired_on', sa.Date(), nullable=True),
    sa.Column('replace_by', sa.Date(), nullable=True),
    sa.Column('replacement_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Asset:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('replacement_cost >= 0', name=op.f('ck_assets_replacement_cost_non_negative')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_assets_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_assets'))
    )
    op.create_index('ix_assets_tenant_id_name', 'assets', ['tenant_id', 'name', 'id'], unique=False)
    op.create_index('uq_assets_tenant_id_source_external_id', 'assets', ['tenant_id', 'source', 'external_id'], unique=True, postgresql_where='external_id is not null')
    op.create_table('reviews',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('status', sa.Enum('IN_PROGRESS', 'COMPLETED', name='review_status'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('alignment_score', sa.SmallInteger(), nullable=True),
    sa.Column('started_by', sa.UUID(), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Review:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'COMPLETED') = (completed_at is not null)", name=op.f('ck_reviews_completed_has_date')),
    sa.CheckConstraint('alignment_score between 0 and 100', name=op.f('ck_reviews_alignment_score_range')),
    sa.ForeignKeyConstraint(['started_by'], ['users.id'], name=op.f('fk_reviews_started_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_reviews_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_reviews'))
    )
    op.create_index('ix_reviews_tenant_id_completed_at', 'reviews', ['tenant_id', 'completed_at', 'id'], unique=False)
    op.create_index('ix_reviews_tenant_id_started_at', 'reviews', ['tenant_id', 'started_at', 'id'], unique=False)
    op.create_index('uq_reviews_tenant_id_in_progress', 'reviews', ['tenant_id'], unique=True, postgresql_where="status = 'IN_PROGRESS'")
    op.create_table('review_answers',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('review_id', sa.UUID(), nullable=False),
    sa.Column('standard_id', sa.UUID(), nullable=False),
    sa.Column('alignment', sa.Enum('ALIGNED', 'PARTIAL', 'NOT_ALIGNED', 'NOT_APPLICABLE', name='alignment'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], name=op.f('fk_review_answers_standard_id_standards')),
    sa.ForeignKeyConstraint(['tenant_id', 'review_id'], ['reviews.tenant_id', 'reviews.id'], name=op.f('fk_review_answers_tenant_id_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_review_answers_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'review_id', 'standard_id', name=op.f('pk_review_answers'))
    )
    op.create_index(op.f('ix_review_answers_standard_id'), 'review_answers', ['standard_id'], unique=False)
    op.create_table('findings',
    sa.Column('tenant_id', sa.UUID(), nullable=False),
    sa.Column('id', sa.UUID(), nullable=False),
    sa.Column('review_id', sa.UUID(), nullable=False),
    sa.Column('standard_id', sa.UUID(), nullable=False),
    sa.Column('alignment', sa.Enum('ALIGNED', 'PARTIAL', 'NOT_ALIGNED', 'NOT_APPLICABLE', name='alignment'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('initiative_id', sa.UUID(), nullable=True),
    sa.Column('gid', sa.Text(), sa.Computed("rtrim(replace(replace(replace(encode(decode('Finding:' || CAST(tenant_id AS text) || ':' || CAST(id AS text), 'escape'), 'base64'), E'\\n', ''), '+', '-'), '/', '_'), '=')", persisted=True), nullable=False),
    sa.CheckConstraint("alignment in ('PARTIAL', 'NOT_ALIGNED')", name=op.f('ck_findings_alignment_is_gap')),
    sa.ForeignKeyConstraint(['standard_id'], ['standards.id'], name=op.f('fk_findings_standard_id_standards')),
    sa.ForeignKeyConstraint(['tenant_id', 'initiative_id'], ['initiatives.tenant_id', 'initiatives.id'], name=op.f('fk_findings_tenant_id_initiative_id_initiatives'), ondelete='SET NULL (initiative_id)'),
    sa.ForeignKeyConstraint(['tenant_id', 'review_id'], ['reviews.tenant_id', 'reviews.id'], name=op.f('fk_findings_tenant_id_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_findings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_findings')),
    sa.UniqueConstraint('tenant_id', 'review_id', 'standard_id', name=op.f('uq_findings_tenant_id_review_id_standard_id'))
    )
    op.create_index(op.f('ix_findings_standard_id'), 'findings', ['standard_id'], unique=False)
    op.create_index('ix_findings_tenant_id_initiative_id', 'findings', ['tenant_id', 'initiative_id'], unique=False)
    op.add_column('risks', sa.Column('accepted_until', sa.Date(), nullable=True))
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({tenant_match(table)})")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO fcio_app")
        call = "FOR EACH STATEMENT EXECUTE FUNCTION bump_tenant_versions('tenant_id')"
        op.execute(f"CREATE TRIGGER {table}_versions_insert AFTER INSERT ON {table} "
                   f"REFERENCING NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_update AFTER UPDATE ON {table} "
                   f"REFERENCING OLD TABLE AS previous NEW TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_delete AFTER DELETE ON {table} "
                   f"REFERENCING OLD TABLE AS changed {call}")
        op.execute(f"CREATE TRIGGER {table}_versions_truncate AFTER TRUNCATE ON {table} {call}")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON standards TO fcio_app")
    op.execute("GRANT SELECT ON standard_library TO fcio_app")
    library = sa.table("standard_library", *(sa.column(c) for c in
                       ("key", "section", "title", "question", "why_it_matters", "priority")))
    op.bulk_insert(library, [dict(zip(("key", "section", "title", "question", "why_it_matters", "priority"), row))
                             for row in LIBRARY])
    op.execute(COPY_LIBRARY)


def downgrade() -> None:
    op.drop_column('risks', 'accepted_until')
    op.drop_index('ix_findings_tenant_id_initiative_id', table_name='findings')
    op.drop_index(op.f('ix_findings_standard_id'), table_name='findings')
    op.drop_table('findings')
    op.drop_index(op.f('ix_review_answers_standard_id'), table_name='review_answers')
    op.drop_table('review_answers')
    op.drop_index('uq_reviews_tenant_id_in_progress', table_name='reviews', postgresql_where="status = 'IN_PROGRESS'")
    op.drop_index('ix_reviews_tenant_id_started_at', table_name='reviews')
    op.drop_index('ix_reviews_tenant_id_completed_at', table_name='reviews')
    op.drop_table('reviews')
    op.drop_index('uq_assets_tenant_id_source_external_id', table_name='assets', postgresql_where='external_id is not null')
    op.drop_index('ix_assets_tenant_id_name', table_name='assets')
    op.drop_table('assets')
    op.drop_index('ix_standards_practice_id_section', table_name='standards')
    op.drop_table('standards')
    op.drop_table('standard_library')
    for name in ("alignment", "review_status", "standard_priority", "asset_kind"):
        op.execute(f"DROP TYPE {name}")
