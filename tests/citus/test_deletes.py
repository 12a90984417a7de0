"""A delete unlinks what referred to the row, on the cluster as on one node: Citus keeps the
`ON DELETE SET NULL (column)` keys without their action, and the delete path clears the links."""

from decimal import Decimal

from sqlalchemy import select

from app.auth.principal import Principal
from app.budgets.actions import set_budget_line
from app.budgets.models import BudgetKind, BudgetLine
from app.planning.actions import create_initiative, delete_initiative


async def test_deleting_an_initiative_keeps_its_budget_line_unlinked(world):
    practice = await world.practice()
    tenant, other = await world.tenant(practice), await world.tenant(practice)
    lines = {}
    for t in (tenant, other):
        actor = Principal.system([t.id], practice.id)
        async with world.scope([t.id]) as s:
            initiative = await create_initiative(s, actor, t.id, title="Move to the cloud")
            line = await set_budget_line(s, actor, t.id, fiscal_year=2026, name="Migration", kind=BudgetKind.CAPEX,
                                         category="Cloud", planned=Decimal("1000.00"), initiative_id=initiative.id)
            lines[t.id] = (initiative.id, line.id)
    initiative_id, line_id = lines[tenant.id]
    async with world.scope([tenant.id]) as s:
        await delete_initiative(s, Principal.system([tenant.id], practice.id), tenant.id, initiative_id)
    async with world.scope([tenant.id, other.id]) as s:
        links = dict((await s.execute(select(BudgetLine.id, BudgetLine.initiative_id))).all())
    assert links == {line_id: None, lines[other.id][1]: lines[other.id][0]}
