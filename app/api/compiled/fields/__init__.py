"""What each compiled field is in SQL: the same rows, filters and order as its resolver.

Nothing here restates a rule: every list's filters, order and cursor key, and every derived value
(a ticket target, a policy's review date and its MISSING row, an attendee's label), is the
function of its area that the executor calls too, rendered on an alias of the table
(`sql.expression`). The definitions are looked up at compile time (`risks.risk_list`, not an
imported copy), so a change there changes both paths; the equivalence tests catch any other drift.

The compilers register themselves per (type, field) as their modules load; this package loads
them all (app/api/compiled/run.py imports it before compiling anything).
"""

from app.api.compiled.fields import below_tenant, portfolio, tenant  # noqa: F401  (they register)
from app.api.compiled.fields.tenant import next_meeting_change

__all__ = ["next_meeting_change"]
