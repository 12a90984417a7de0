"""The realistic raw material the seed generators draw from: names, vendors, initiatives, risks, assets.

Kept apart from the generators so the rules (how much, how often, how healthy) read on their own,
and so the demo and the synthetic seed pick from the same vocabulary.
"""

from __future__ import annotations

from typing import NamedTuple

from app.budgets.models import BudgetKind
from app.lifecycle.models import AssetKind as K
from app.risks.models import RiskCategory as C
from app.vendors.models import VendorRelationship

NAME_PREFIXES = (
    "Harbor", "Summit", "Cedar", "Northgate", "Bluewater", "Ironwood", "Redstone", "Silverline", "Oakridge",
    "Lakeshore", "Granite", "Evergreen", "Brightpath", "Keystone", "Riverbend", "Pioneer", "Westfield",
    "Copperleaf", "Highland", "Meridian", "Crescent", "Fairview", "Stonebridge", "Maple", "Clearwater",
    "Beacon", "Sterling", "Willow", "Falcon", "Union", "Heritage", "Prairie", "Coastal", "Aspen", "Juniper",
    "Marlow", "Ashford", "Lindenwood", "Orchard", "Sycamore", "Tidewater", "Trinity", "Vantage", "Whitmore",
    "Alder", "Bramble", "Canyon", "Dover", "Elmhurst", "Foxhall",
)
# A name's core word and the industry it implies, so "Harbor Dental" is in Healthcare.
NAME_CORES = (
    ("Logistics", "Logistics"), ("Dental", "Healthcare"), ("Law", "Legal"), ("Accounting", "Professional services"),
    ("Engineering", "Professional services"), ("Manufacturing", "Manufacturing"), ("Health", "Healthcare"),
    ("Foods", "Food and beverage"), ("Capital", "Financial services"), ("Realty", "Real estate"),
    ("Construction", "Construction"), ("Insurance", "Financial services"), ("Architects", "Professional services"),
    ("Veterinary", "Healthcare"), ("Credit Union", "Financial services"), ("Academy", "Education"),
    ("Clinic", "Healthcare"), ("Distribution", "Logistics"), ("Hotels", "Hospitality"), ("Marine", "Manufacturing"),
    ("Energy", "Energy"), ("Printing", "Manufacturing"), ("Plastics", "Manufacturing"), ("Analytics", "Professional services"),
    ("Design", "Professional services"), ("Pharmacy", "Retail"), ("Wealth", "Financial services"), ("Freight", "Logistics"),
    ("Foundation", "Nonprofit"), ("Media", "Media"), ("Outfitters", "Retail"), ("Brewing", "Food and beverage"),
)
NAME_SUFFIXES = ("Group", "Partners", "Inc.", "LLC", "Co.", "Associates", "Holdings", "Ltd", "Services", "")

CURRENCIES = (("USD", 0.72), ("CAD", 0.1), ("GBP", 0.08), ("EUR", 0.07), ("AUD", 0.03))
FISCAL_YEAR_STARTS = ((1, 0.7), (4, 0.1), (7, 0.15), (10, 0.05))

FIRST_NAMES = (
    "Dana", "Marcus", "Priya", "Elena", "Tom", "Aisha", "Connor", "Mei", "Jorge", "Hannah", "Samuel", "Leah",
    "Omar", "Grace", "Victor", "Nina", "Ravi", "Chloe", "Daniel", "Fatima", "Ben", "Sofia", "Kwame", "Laura",
    "Ethan", "Yuki", "Carlos", "Megan", "Andre", "Isabel",
)
LAST_NAMES = (
    "Ruiz", "Okafor", "Patel", "Novak", "Brennan", "Chen", "Lindqvist", "Garcia", "Hughes", "Kowalski",
    "Mensah", "Dubois", "Tanaka", "Murphy", "Silva", "Fischer", "Nguyen", "O'Neill", "Haddad", "Walsh",
    "Schmidt", "Costa", "Reyes", "Adeyemi", "Larsen", "Moreau", "Kim", "Bianchi", "Sato", "Campbell",
)
# The functions a steering committee draws from; the first is always present.
FUNCTIONS = ("Executive", "Finance", "Operations", "HR", "Sales", "IT")


class VendorTemplate(NamedTuple):
    key: str
    name: str
    relationship: VendorRelationship
    per_employee: float  # annual cost per employee, in the tenant's currency
    fixed: float  # annual base cost


COMMODITY, PARTNER = VendorRelationship.COMMODITY, VendorRelationship.PARTNER
VENDORS = (
    VendorTemplate("m365", "Microsoft 365", COMMODITY, 264, 0),
    VendorTemplate("gws", "Google Workspace", COMMODITY, 168, 0),
    VendorTemplate("aws", "Amazon Web Services", COMMODITY, 90, 6000),
    VendorTemplate("azure", "Microsoft Azure", COMMODITY, 110, 5000),
    VendorTemplate("edr", "CrowdStrike", COMMODITY, 85, 0),
    VendorTemplate("backup", "Veeam", COMMODITY, 30, 2500),
    VendorTemplate("firewall", "Fortinet", COMMODITY, 12, 3000),
    VendorTemplate("wifi", "Cisco Meraki", COMMODITY, 15, 2000),
    VendorTemplate("isp", "Comcast Business", COMMODITY, 6, 4800),
    VendorTemplate("phones", "RingCentral", COMMODITY, 300, 0),
    VendorTemplate("hardware", "Dell Technologies", COMMODITY, 420, 0),
    VendorTemplate("zoom", "Zoom", COMMODITY, 90, 0),
    VendorTemplate("docusign", "DocuSign", COMMODITY, 40, 600),
    VendorTemplate("msp", "Blue Harbor Managed Services", PARTNER, 900, 12000),
    VendorTemplate("security", "Sentinel Security Partners", PARTNER, 60, 15000),
    VendorTemplate("erp", "Brightline ERP Consulting", PARTNER, 80, 20000),
)


class BudgetLineTemplate(NamedTuple):
    name: str
    kind: BudgetKind
    category: str
    vendor_key: str | None
    per_employee: float
    fixed: float


CAPEX, OPEX = BudgetKind.CAPEX, BudgetKind.OPEX
BUDGET_LINES = (
    BudgetLineTemplate("Productivity licences", OPEX, "Licensing", "m365", 270, 0),
    BudgetLineTemplate("Email and collaboration", OPEX, "Licensing", "gws", 170, 0),
    BudgetLineTemplate("Cloud hosting", OPEX, "Cloud", "aws", 95, 6000),
    BudgetLineTemplate("Azure subscriptions", OPEX, "Cloud", "azure", 110, 5000),
    BudgetLineTemplate("Endpoint protection", OPEX, "Security", "edr", 85, 0),
    BudgetLineTemplate("Backup and recovery", OPEX, "Security", "backup", 30, 2500),
    BudgetLineTemplate("Firewall subscriptions", OPEX, "Network", "firewall", 12, 3000),
    BudgetLineTemplate("Internet and WAN", OPEX, "Telecom", "isp", 6, 4800),
    BudgetLineTemplate("Phone system", OPEX, "Telecom", "phones", 300, 0),
    BudgetLineTemplate("Managed IT services", OPEX, "Managed services", "msp", 900, 12000),
    BudgetLineTemplate("Security monitoring", OPEX, "Security", "security", 60, 15000),
    BudgetLineTemplate("Laptop and desktop refresh", CAPEX, "Hardware", "hardware", 400, 0),
    BudgetLineTemplate("Network equipment", CAPEX, "Network", "wifi", 40, 4000),
    BudgetLineTemplate("Staff IT training", OPEX, "Training", None, 45, 1000),
    BudgetLineTemplate("IT consulting", OPEX, "Consulting", "erp", 60, 8000),
)
# Spend that nobody planned for: what the budget score penalises.
UNPLANNED_LINES = (
    ("Emergency server replacement", CAPEX, "Hardware"),
    ("Unbudgeted software purchase", OPEX, "Licensing"),
    ("Incident response retainer call-out", OPEX, "Security"),
    ("Ad-hoc consulting", OPEX, "Consulting"),
)


class InitiativeTemplate(NamedTuple):
    key: str
    title: str
    description: str
    cost: tuple[int, int]  # range at 100 employees
    hours_saved: tuple[int, int]
    revenue_at_risk: tuple[int, int]  # 0: not applicable


INITIATIVES = (
    InitiativeTemplate("mfa", "Roll out multi-factor authentication", "Enforce MFA on email, VPN and admin accounts.", (3000, 9000), (2, 8), (50000, 250000)),
    InitiativeTemplate("edr", "Endpoint detection and response rollout", "Replace legacy antivirus with managed EDR on every device.", (8000, 20000), (5, 15), (80000, 400000)),
    InitiativeTemplate("backup", "Immutable offsite backups", "Move backups to immutable storage and test restores quarterly.", (6000, 18000), (4, 10), (100000, 600000)),
    InitiativeTemplate("dr", "Disaster recovery test and runbook", "Write the DR runbook and run a full failover exercise.", (4000, 12000), (0, 4), (150000, 800000)),
    InitiativeTemplate("firewall", "Replace end-of-life firewalls", "Swap unsupported firewalls at every site.", (10000, 30000), (2, 6), (40000, 200000)),
    InitiativeTemplate("sharepoint", "Migrate file shares to SharePoint Online", "Retire the on-premises file server.", (15000, 40000), (20, 60), (0, 0)),
    InitiativeTemplate("awareness", "Security awareness training programme", "Monthly phishing simulations and short training for all staff.", (2000, 8000), (1, 5), (30000, 150000)),
    InitiativeTemplate("laptops", "Laptop refresh for devices over four years old", "Standard image, zero-touch enrolment.", (25000, 70000), (10, 30), (0, 0)),
    InitiativeTemplate("wifi", "Upgrade office Wi-Fi", "Replace access points and separate guest traffic.", (6000, 20000), (3, 10), (0, 0)),
    InitiativeTemplate("saas", "Consolidate SaaS subscriptions", "Inventory and cut duplicate or unused SaaS tools.", (1000, 5000), (4, 12), (0, 0)),
    InitiativeTemplate("onboarding", "Automate new-starter onboarding", "Accounts, licences and devices provisioned from the HR system.", (5000, 15000), (15, 40), (0, 0)),
    InitiativeTemplate("erp", "Move ERP to the cloud", "Lift the on-premises ERP to a hosted subscription.", (40000, 120000), (20, 80), (200000, 1200000)),
    InitiativeTemplate("passwords", "Deploy a company password manager", "Shared vaults for teams, no passwords in spreadsheets.", (1500, 6000), (3, 10), (20000, 100000)),
    InitiativeTemplate("inventory", "Build the IT asset inventory", "One list of devices, licences and owners, kept current.", (2000, 7000), (5, 15), (0, 0)),
    InitiativeTemplate("telecom", "Renegotiate telecom contracts", "Consolidate lines and carriers at renewal.", (500, 3000), (2, 6), (0, 0)),
    InitiativeTemplate("licences", "Right-size Microsoft 365 licences", "Match licence tiers to what each role uses.", (500, 2500), (2, 6), (0, 0)),
    InitiativeTemplate("segmentation", "Segment guest and IoT networks", "Separate VLANs and firewall rules for guests, cameras and printers.", (4000, 14000), (1, 4), (50000, 250000)),
    InitiativeTemplate("insurance", "Cyber insurance readiness review", "Close the gaps the insurer's questionnaire asks about.", (2000, 9000), (0, 2), (100000, 500000)),
    InitiativeTemplate("retention", "Data retention and classification rollout", "Label sensitive data and automate retention rules.", (5000, 16000), (4, 12), (60000, 300000)),
    InitiativeTemplate("sla", "Monthly service desk SLA report", "Report response times and recurring issues to the steering committee.", (500, 2500), (4, 10), (0, 0)),
)

# What an initiative costs every year once delivered (at 100 employees): subscriptions, support, licences.
# The others cost nothing more to run, or save what they cost.
RECURRING_COSTS = {
    "mfa": (1500, 4000), "edr": (4000, 12000), "backup": (3000, 9000), "awareness": (1500, 5000),
    "sharepoint": (500, 2000), "erp": (15000, 45000), "passwords": (800, 2500), "segmentation": (300, 1200),
    "retention": (1000, 4000), "sla": (600, 1800), "onboarding": (1200, 3600), "wifi": (400, 1500),
}


class GoalTemplate(NamedTuple):
    title: str
    function: str  # one of FUNCTIONS
    kpi: str
    baseline: float
    target: float  # below the baseline where less is better
    serves: tuple[str, ...]  # keys of the INITIATIVES that move the KPI


GOALS = (
    GoalTemplate("Keep the business running through an outage", "Operations", "Hours of unplanned downtime a quarter",
                 14.0, 2.0, ("backup", "dr", "firewall", "wifi")),
    GoalTemplate("Pass the cyber insurance renewal without exclusions", "Finance", "Open insurer findings", 9.0, 0.0,
                 ("mfa", "edr", "insurance", "passwords", "awareness")),
    GoalTemplate("New starters productive on day one", "HR", "Days until a new starter has every account", 5.0, 1.0,
                 ("onboarding", "laptops", "licences")),
    GoalTemplate("Cut IT running costs per employee", "Finance", "Annual IT cost per employee", 2400.0, 2000.0,
                 ("saas", "telecom", "licences", "sharepoint")),
    GoalTemplate("Close the books faster", "Finance", "Working days to close the month", 8.0, 4.0, ("erp", "retention")),
    GoalTemplate("Faster answers for customers", "Sales", "Median hours to resolve a customer-facing ticket", 20.0, 8.0,
                 ("sla", "inventory", "segmentation")),
)


# The strategy profile's choices (what the CIO hears when asking the client).
PLATFORMS = ("Microsoft 365", "Azure", "Google Workspace", "AWS", "Salesforce", "NetSuite", "Xero")
STACK = ("Microsoft Intune", "Defender for Endpoint", "1Password", "SharePoint Online", "Meraki", "Veeam", "Okta",
         "HubSpot", "Zoom")
REGULATIONS = ("GDPR", "PCI DSS", "HIPAA", "SOC 2", "ISO 27001", "Cyber Essentials")
CAPACITY_NOTES = ("One office manager handles IT requests besides her job.",
                  "An in-house IT coordinator, two days a week.",
                  "No one in-house: every request goes to the MSP.")


class RiskTemplate(NamedTuple):
    title: str
    category: C
    likelihood: int
    impact: int
    mitigation: str
    initiative_key: str | None


RISKS = (
    RiskTemplate("Ransomware encrypts file server and backups", C.SECURITY, 3, 5, "Immutable backups, EDR, restore tests.", "backup"),
    RiskTemplate("Compromised email account used for invoice fraud", C.SECURITY, 4, 4, "MFA everywhere, payment call-back procedure.", "mfa"),
    RiskTemplate("Staff fall for phishing", C.SECURITY, 4, 3, "Awareness training and phishing simulations.", "awareness"),
    RiskTemplate("Unsupported firewalls exposed to the internet", C.SECURITY, 3, 4, "Replace firewalls, subscribe to updates.", "firewall"),
    RiskTemplate("No tested disaster recovery plan", C.CONTINUITY, 2, 5, "Write the runbook, test failover yearly.", "dr"),
    RiskTemplate("Single internet line at head office", C.CONTINUITY, 3, 3, "Add a second carrier with automatic failover.", None),
    RiskTemplate("Key IT knowledge held by one person", C.OPERATIONAL, 3, 3, "Document systems, cross-train a second person.", "inventory"),
    RiskTemplate("Laptops past end of support", C.OPERATIONAL, 4, 2, "Refresh devices older than four years.", "laptops"),
    RiskTemplate("Shadow IT SaaS tools holding client data", C.COMPLIANCE, 3, 3, "SaaS inventory and approval process.", "saas"),
    RiskTemplate("Personal data kept beyond retention period", C.COMPLIANCE, 3, 4, "Classify data, automate retention.", "retention"),
    RiskTemplate("Cyber insurance claim refused for missing controls", C.FINANCIAL, 2, 5, "Meet the insurer's control requirements.", "insurance"),
    RiskTemplate("ERP vendor ends support for on-premises version", C.VENDOR, 3, 4, "Plan the move to the hosted version.", "erp"),
    RiskTemplate("Managed service provider misses SLAs", C.VENDOR, 2, 3, "Monthly SLA review, contract remedies.", "sla"),
    RiskTemplate("Shared passwords in spreadsheets", C.SECURITY, 4, 3, "Company password manager.", "passwords"),
    RiskTemplate("Guest Wi-Fi on the corporate network", C.SECURITY, 3, 3, "Segment guest and IoT devices.", "segmentation"),
    RiskTemplate("Leavers keep access to systems", C.SECURITY, 3, 3, "Automated joiner-mover-leaver process.", "onboarding"),
    RiskTemplate("IT spend grows faster than revenue", C.FINANCIAL, 3, 2, "Quarterly budget review with Finance.", "licences"),
    RiskTemplate("Telecom contracts auto-renew at list price", C.FINANCIAL, 4, 2, "Track renewal dates, renegotiate early.", "telecom"),
    RiskTemplate("IT roadmap not aligned with business plan", C.STRATEGIC, 2, 3, "Steering committee owns the roadmap.", None),
    RiskTemplate("Growth outpaces IT capacity", C.STRATEGIC, 2, 4, "Capacity review each quarter.", None),
    RiskTemplate("Payment card data handled outside a compliant system", C.COMPLIANCE, 2, 5, "Move card handling to the payment provider.", None),
    RiskTemplate("Cloud costs unmonitored", C.FINANCIAL, 3, 2, "Budgets and alerts on cloud accounts.", None),
    RiskTemplate("Server room overheats in summer", C.CONTINUITY, 2, 4, "Dedicated cooling, temperature alerts.", None),
    RiskTemplate("Critical line-of-business app has no vendor support contract", C.VENDOR, 3, 4, "Sign a support agreement or plan a replacement.", None),
)

AGENDA_ITEMS = (
    "Health score and trend", "Budget against plan", "Open risks above threshold", "Roadmap: initiatives due this quarter",
    "Service desk volume and recurring issues", "Vendor renewals in the next 90 days", "Policy reviews due",
    "Security incidents and near misses", "Action items from last meeting",
)
DECISIONS = (
    "Approve the laptop refresh for Q{q}.", "Accept the residual risk of the single internet line until renewal.",
    "Move the ERP migration to next fiscal year.", "Fund MFA rollout from the security budget.",
    "Renew the managed services contract for one year.", "Run a tabletop incident exercise next quarter.",
    "Cancel the unused video-conferencing licences.", "Ask Finance to review the cloud spend monthly.",
    "Approve the updated backup policy.", "Prioritise endpoint protection over the Wi-Fi upgrade.",
)
ACTION_ITEMS = (
    "Send the revised budget to Finance", "Collect quotes for firewall replacement", "Schedule the DR test",
    "Update the risk register owners", "Share the service desk report with department heads",
    "Draft the remote access policy", "Confirm vendor renewal dates", "Book phishing simulation for all staff",
    "Review admin accounts and remove stale access", "Circulate the roadmap to the leadership team",
)

TICKET_TITLES = {
    "SUPPORT": (
        "Cannot log in to email", "Printer offline on second floor", "New starter laptop setup", "Password reset",
        "VPN disconnects", "Teams audio not working", "Shared drive access request", "Outlook keeps crashing",
    ),
    "CHANGE": (
        "Add user to finance group", "Install accounting software update", "Firewall rule for new supplier portal",
        "Create mailbox for new department", "Upgrade line-of-business app", "Decommission old file server",
    ),
    "ALERT": (
        "Backup job failed", "Disk space low on server", "Antivirus detection quarantined", "UPS on battery",
        "Certificate expiring in 14 days", "Unusual sign-in location",
    ),
}


class PsaStyle(NamedTuple):
    """How tickets of one PSA look: its source name, priorities, statuses and category fields."""

    source: str
    priorities: tuple[str, ...]
    open_status: str
    closed_status: str
    attribute: str  # the field the category mapping reads
    values: dict[str, str]  # category -> that field's value


PSA_STYLES = (
    PsaStyle(
        "connectwise", ("Priority 1 - Emergency Response", "Priority 2 - Quick Response", "Priority 3 - Normal Response",
                        "Priority 4 - Scheduled Maintenance"),
        "In Progress", "Closed", "board", {"SUPPORT": "Service Desk", "CHANGE": "Projects and Changes", "ALERT": "Monitoring"},
    ),
    PsaStyle(
        "autotask", ("Critical", "High", "Medium", "Low"), "In Progress", "Complete", "queue",
        {"SUPPORT": "Client Portal", "CHANGE": "Change Requests", "ALERT": "Monitoring Alert"},
    ),
    PsaStyle(
        "halopsa", ("P1", "P2", "P3", "P4"), "In Progress", "Closed", "tickettype",
        {"SUPPORT": "Incident", "CHANGE": "Change Request", "ALERT": "Alert"},
    ),
)


class AssetTemplate(NamedTuple):
    kind: K
    manufacturer: str | None
    model: str
    cost: float  # replacement cost, in the tenant's currency
    per_100: float  # how many a 100-person client has
    support_years: int | None = None  # end of support this long after purchase, where the vendor states one


ASSETS = (
    AssetTemplate(K.LAPTOP, "Lenovo", "ThinkPad T14", 1450, 55),
    AssetTemplate(K.LAPTOP, "Apple", "MacBook Air 13", 1300, 15),
    AssetTemplate(K.WORKSTATION, "Dell", "OptiPlex 7010", 1100, 20),
    AssetTemplate(K.SERVER, "Dell", "PowerEdge R650", 9500, 2),
    AssetTemplate(K.NETWORK, "Fortinet", "FortiGate 60F", 1800, 1, 6),
    AssetTemplate(K.NETWORK, "Cisco Meraki", "MS120-24P switch", 1600, 2),
    AssetTemplate(K.NETWORK, "Cisco Meraki", "MR36 access point", 650, 4),
    AssetTemplate(K.STORAGE, "Synology", "DS1821+", 2400, 1),
    AssetTemplate(K.MOBILE, "Apple", "iPhone 14", 900, 20),
    AssetTemplate(K.PRINTER, "HP", "LaserJet Pro M404", 450, 3),
    AssetTemplate(K.SOFTWARE, "Microsoft", "Windows Server 2016", 1100, 2, 10),
    AssetTemplate(K.SOFTWARE, "Sage", "Sage 300 licence", 4000, 1, 7),
    AssetTemplate(K.CLOUD_SERVICE, "Microsoft", "Microsoft 365 Business Premium", 0, 1),
    AssetTemplate(K.OTHER, "APC", "Smart-UPS 1500", 700, 2),
)
