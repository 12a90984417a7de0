"""The viewer's calendar of steering meetings: `calendarFeedUrl`, `resetCalendarFeed`, and
`GET /calendar/{secret}.ics`, the feed itself (app/steering/calendar.py writes it).

The feed has no bearer token: its secret (app/auth/feeds.py) names the user, and the request then
reads as that user's would, through row-level security with the tenants the user sees now (an
admin: the practice's). An unknown, reset or disabled user's secret is a 404 like any other path.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import strawberry
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.api.context import Info
from app.api.errors import UserError
from app.api.mutations import perform
from app.api.steering import MEETINGS, meeting_order
from app.api.tenants import TENANTS, active
from app.auth import access, feeds
from app.auth.principal import Principal
from app.db.scope import among, tenant_session
from app.services import Services
from app.steering.calendar import DAYS_BACK, FeedMeeting, calendar


@strawberry.type
class CalendarFeedPayload:
    url: str | None
    user_errors: list[UserError]


@strawberry.type
class CalendarQueries:
    @strawberry.field(description="The viewer's own calendar feed (steering meetings of every tenant they see); the URL holds a secret.")
    async def calendar_feed_url(self, info: Info) -> str:
        viewer, settings = info.context.user_viewer(), info.context.services.settings  # an API key: FORBIDDEN
        return await info.context.db.read(lambda s: feeds.viewer_feed_url(s, settings, viewer))


@strawberry.type
class CalendarMutations:
    @strawberry.mutation(description="A new calendar feed URL for the viewer: the old one stops working.")
    async def reset_calendar_feed(self, info: Info) -> CalendarFeedPayload:
        viewer, settings = info.context.user_viewer(), info.context.services.settings
        url, errors = await perform(info.context, lambda s: feeds.reset_feed(s, settings, viewer))
        return CalendarFeedPayload(url=url, user_errors=errors)


def feed_statement(viewer: Principal, since: dt.datetime):
    """The meetings of the viewer's active tenants from `since` on, by time, with their tenant's name."""
    return (
        select(MEETINGS, TENANTS.c.name.label("tenant_name"))
        .join(TENANTS, TENANTS.c.id == MEETINGS.c.tenant_id)
        .where(*among(TENANTS, viewer.tenant_ids, viewer.practice_scope), active(TENANTS),
               MEETINGS.c.scheduled_at >= since)
        .order_by(*meeting_order(MEETINGS))
    )


def feed_meeting(row, host: str) -> FeedMeeting:
    return FeedMeeting(
        uid=f"{row.gid}@{host}", tenant_name=row.tenant_name, scheduled_at=row.scheduled_at,
        updated_at=row.updated_at, status=row.status, version=row.version, agenda=list(row.agenda or []),
        attendees=list(row.attendees or []),
    )


async def calendar_feed(request: Request) -> Response:
    services: Services = request.app.state.services
    host = urlsplit(services.settings.public_url).hostname or "localhost"
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=DAYS_BACK)
    async with tenant_session(services.sessionmaker, ()) as session:
        user_id = await feeds.feed_owner(session, services.settings.secret_key, request.path_params["secret"])
        viewer = user_id and await access.user_principal(
            session, user_id, rosters=request.app.state.rosters, scope=True
        )
        if not viewer:
            return PlainTextResponse("No such calendar feed (it may have been reset).", status_code=404)
        rows = (await session.execute(feed_statement(viewer, since))).all()
    body = calendar((feed_meeting(r, host) for r in rows), "Steering meetings")
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "no-store"})
