"""A month's ticket figures from `ticket_months`, one rule for the health score and the API.

Hand-entered figures (source `manual`), when a month has them, ARE that month's figures: someone
typed them on purpose, usually for months before a PSA was connected or to correct one. Otherwise
the month's figures are the sum over every PSA and pushed source. Summing both would count the
same tickets twice.
"""

from __future__ import annotations

from sqlalchemy import func

from app.tickets.models import MANUAL_SOURCE, TicketMonth

CATEGORIES = ("support", "change", "alert")


def category_figure(name: str):
    """The aggregate for one category column, to use in a query grouped by tenant and month."""
    column = getattr(TicketMonth, name)
    return func.coalesce(func.sum(column).filter(TicketMonth.source == MANUAL_SOURCE), func.sum(column)).label(name)


def month_figures() -> list:
    return [category_figure(name) for name in CATEGORIES]
