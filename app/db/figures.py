"""Figures the database keeps from the rows written, and the bulk loads that bring their own.

`ticket_months` (every PSA source's monthly ticket counts, migration 0008) and `spend_months` (a
tenant's spend per month, 0009) are kept by statement triggers on `tickets` and `budget_spend`:
every path that writes those rows keeps them exact, concurrent writers included. A statement's
deltas wait in its transaction's own pending row and are added at commit (migration 0012), so a
figure row is locked only while its writer commits, not across its round trips. An import of an
export and the seed write the figures beside their rows, as they are; such a transaction calls
`figures_given` first and the triggers leave the figures to it; so does an offboarding, whose
figures go with the rows they count.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def figures_given(session: AsyncSession) -> None:
    """This transaction writes the kept figures itself, as they are (they must add up, as an export's
    and the seed's do: tests/seed/test_synthetic.py, tests/security/test_offboarding.py)."""
    await session.execute(text("SELECT set_config('app.figures', 'given', true)"))
