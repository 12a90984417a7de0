"""Every area's models, imported once so the metadata (alembic, tests) sees all tables."""

from app.accounts.models import Invitation, PasswordReset
from app.audit.models import AuditEvent
from app.auth.models import ApiKey
from app.budgets.models import Budget, BudgetLine, BudgetSpend, SpendMonth
from app.db.base import Base
from app.decisions.models import Decision
from app.goals.models import BusinessGoal, StrategyProfile
from app.health.models import HealthScore, StaleHealthMonth
from app.integrations.models import Integration, WebhookDelivery
from app.lifecycle.models import Asset
from app.planning.models import Initiative, ItPlan
from app.policies.models import Policy
from app.reports.models import ReportDelivery
from app.risks.models import Risk
from app.sso.models import OidcProvider
from app.standards.models import Finding, LibraryStandard, Review, ReviewAnswer, Standard
from app.steering.models import ActionItem, SteeringMeeting
from app.tenants.models import Grant, Practice, PracticeVersion, Tenant, TenantVersion, User
from app.tickets.models import Ticket, TicketMonth
from app.vendors.models import Vendor

# Tables above tenancy: no row-level security, reached only through the API's principal checks.
# tenant_versions, practice_versions: change counters only, bumped at commit (app/db/versions.py).
# standard_library, standards: the built-in library, and each practice's own (app/standards/models.py).
# invitations, password_resets: mailed links, followed before anyone is signed in (app/accounts/models.py);
# oidc_providers: a practice's single sign-on, read before anyone is signed in (app/sso).
GLOBAL_TABLES = frozenset({"practices", "users", "tenants", "grants", "api_keys", "integrations", "tenant_versions",
                           "practice_versions", "standard_library", "standards", "invitations",
                           "password_resets", "oidc_providers"})

__all__ = [
    "ActionItem", "ApiKey", "Asset", "AuditEvent", "Base", "Budget", "BudgetLine", "BudgetSpend", "BusinessGoal", "Decision", "GLOBAL_TABLES",
    "Finding", "Grant", "HealthScore", "Initiative", "Integration", "Invitation", "PasswordReset", "ItPlan", "LibraryStandard", "OidcProvider", "Policy", "Practice", "PracticeVersion", "Review",
    "ReportDelivery", "ReviewAnswer", "Risk", "SpendMonth",
    "StaleHealthMonth", "Standard", "SteeringMeeting", "StrategyProfile", "Tenant", "TenantVersion", "Ticket", "TicketMonth", "User", "Vendor",
    "WebhookDelivery",
]
