"""`fcio`: the command line. Every command has --help; errors say what to do next."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.settings import Settings, get_settings


def fail(message: str) -> None:
    print(f"fcio: {message}", file=sys.stderr)
    raise SystemExit(2)


def settings_or_fail() -> Settings:
    try:
        return get_settings()
    except ValueError as error:
        fail(str(error))


def require_urls(settings: Settings) -> None:
    if not settings.database_url:
        fail("DATABASE_URL is not set. Set it (postgresql://user@host/db), or use `fcio dev` for embedded servers.")


# ---- migrate -------------------------------------------------------------------------------

def cmd_migrate(args) -> None:
    from app.db import migrate

    settings = settings_or_fail()
    require_urls(settings)
    if args.check:
        current = asyncio.run(migrate.current_revision(settings.database_url))
        heads = migrate.heads(settings.database_url)
        if current not in heads:
            fail(f"database is at {current or 'nothing'}, code is at {', '.join(heads)}: run `fcio migrate`.")
        print(f"at head ({current})")
        return
    migrate.upgrade(settings.database_url)
    print("migrated to head")


# ---- serve / worker ------------------------------------------------------------------------

def cmd_serve(args) -> None:
    import uvicorn

    from app.logs import configure

    settings = settings_or_fail()
    require_urls(settings)
    configure(settings.is_production, settings.log_level)
    uvicorn.run(
        "app.web:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
        log_config=None, access_log=False, proxy_headers=True,
    )


def cmd_worker(args) -> None:
    from app.logs import configure
    from workers.main import run_worker

    settings = settings_or_fail()
    require_urls(settings)
    configure(settings.is_production, settings.log_level)
    run_worker(settings)


# ---- users / seed / recompute / schema -----------------------------------------------------

async def _with_services(settings: Settings, work):
    from app.services import Services

    services = await Services.start(settings)
    try:
        return await work(services)
    finally:
        await services.close()


def cmd_users_create(args) -> None:
    from app.auth.principal import Principal
    from app.db.scope import tenant_session
    from app.errors import DomainError
    from app.tenants import actions
    from app.tenants.models import Role, Tenant

    settings = settings_or_fail()
    require_urls(settings)

    async def work(services):
        from sqlalchemy import select

        async with tenant_session(services.sessionmaker, ()) as session:
            practice = await actions.get_or_create_practice(session, args.practice)
            tenant_ids = []
            for slug in args.tenant or []:
                tenant_id = await session.scalar(
                    select(Tenant.id).where(Tenant.practice_id == practice.id, Tenant.slug == slug)
                )
                if tenant_id is None:
                    fail(f"no tenant with slug {slug!r} in practice {args.practice!r}; list them with the API's `tenants` query.")
                tenant_ids.append(tenant_id)
            user = await actions.create_user(
                session, practice.id, email=args.email, name=args.name or args.email.split("@")[0],
                password=args.password, role=Role(args.role), tenant_ids=tenant_ids,
                actor=Principal.system(tenant_ids, practice.id),
            )
            return user

    try:
        user = asyncio.run(_with_services(settings, work))
    except DomainError as error:
        fail(f"{error.message} ({error.code})")
    print(f"created {user.role.value} {user.email} in practice {args.practice!r}")


def cmd_seed(args) -> None:
    from app.seed.synthetic import seed_synthetic

    settings = settings_or_fail()
    require_urls(settings)

    async def work(services):
        return await seed_synthetic(
            services.sessionmaker, tenants=args.tenants, months=args.months, practice=args.practice, seed=args.seed,
            cio_tenants=args.cio_tenants, cio_password=args.cio_password, progress=True,
        )

    summary = asyncio.run(_with_services(settings, work))
    print(summary)


def cmd_recompute(args) -> None:
    from app.health.backfill import recompute_months
    from app.months import parse_month

    settings = settings_or_fail()
    require_urls(settings)
    try:
        to_month = parse_month(args.month)
        from_month = parse_month(args.from_month) if args.from_month else to_month
    except ValueError as error:
        fail(str(error))
    if from_month > to_month:
        fail("--from must not be after --month.")
    result = asyncio.run(
        _with_services(settings, lambda s: recompute_months(s, from_month, to_month, tenant_slug=args.tenant, progress=True))
    )
    print(result)


def cmd_schema_export(args) -> None:
    from app.api.schema import build_schema

    schema = build_schema(production=False)
    path = Path(args.output)
    path.write_text(schema.as_str() + "\n")
    print(f"wrote {path}")


def cmd_deliveries_replay(args) -> None:
    import uuid

    from app.integrations.cli import replay_failed

    settings = settings_or_fail()
    require_urls(settings)
    try:
        integration_id = uuid.UUID(args.integration)
    except ValueError:
        fail(f"--integration must be the integration's UUID, got {args.integration!r}.")
    print(asyncio.run(_with_services(settings, lambda s: replay_failed(s, integration_id))))


def cmd_tenants_import(args) -> None:
    import orjson

    from app.errors import DomainError
    from app.tenants.export import import_document

    settings = settings_or_fail()
    require_urls(settings)
    try:
        document = orjson.loads(Path(args.file).read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        fail(f"cannot read {args.file}: {error}")
    try:
        tenant_id, rows = asyncio.run(_with_services(settings, lambda s: import_document(s.sessionmaker, document)))
    except DomainError as error:
        fail(f"{error.message} ({error.code})")
    print(f"imported tenant {tenant_id}: {rows} rows")


def cmd_report(args) -> None:
    from app.errors import DomainError
    from app.months import parse_month
    from app.reports.cli import report_file

    settings = settings_or_fail()
    require_urls(settings)
    if not (args.tenant and args.month and args.out):
        fail("give --tenant, --month and --out: fcio report --tenant SLUG --month YYYY-MM --format pdf --out FILE.")
    try:
        month = parse_month(args.month)
        written = asyncio.run(_with_services(settings, lambda s: report_file(s, args.tenant, month, args.format, args.practice)))
    except DomainError as error:
        fail(error.message)
    Path(args.out).write_bytes(written.body)
    print(f"wrote {args.out}: {written.tenant}, {written.month:%B %Y}, {args.format} ({len(written.body):,} bytes)")


def cmd_users_reset_two_factor(args) -> None:
    from app.auth import twofactor
    from app.db.scope import tenant_session
    from app.errors import DomainError

    settings = settings_or_fail()
    require_urls(settings)

    async def work(services):
        async with tenant_session(services.sessionmaker, ()) as session:
            return await twofactor.reset(session, args.email)

    try:
        user = asyncio.run(_with_services(settings, work))
    except DomainError as error:
        fail(error.message)
    print(f"two-factor sign-in is off for {user.email}: they sign in with their password and enrol again")


def cmd_report_rotate_secret(args) -> None:
    from app.errors import DomainError
    from app.reports.cli import rotate

    settings = settings_or_fail()
    require_urls(settings)
    try:
        asyncio.run(_with_services(settings, lambda s: rotate(s, args.practice)))
    except DomainError as error:
        fail(error.message)
    print(f"practice {args.practice!r} has a new report secret: every report link it mailed no longer opens")


# ---- dev ------------------------------------------------------------------------------------

def cmd_dev(args) -> None:
    """Embedded servers when needed, migrate, demo data on first run, then API + worker."""
    from app.db import migrate
    from app.db.embedded import start_postgres, start_redis
    from app.mail.devserver import start_mail_server

    settings = settings_or_fail()
    data_dir = settings.data_dir
    stops = []  # (what, how to stop it), for each embedded server started
    env = dict(os.environ)
    if not settings.database_url:
        print(f"starting embedded PostgreSQL in {data_dir / 'pg'} ...")
        server, url = start_postgres(data_dir)
        stops.append(("PostgreSQL", server.cleanup))
        env["DATABASE_URL"] = url
    if not settings.redis_url:
        print(f"starting embedded Redis in {data_dir / 'redis'} ...")
        server, url = start_redis(data_dir / "redis")
        stops.append(("Redis", server.shutdown))
        env["REDIS_URL"] = url
    if not settings.smtp_url:
        mail_dir = (data_dir / "mail").resolve()
        server, url = start_mail_server(mail_dir)
        print(f"started embedded SMTP on {server.hostname}:{server.port}: every mail is kept in {mail_dir} (nothing is sent)")
        stops.append(("SMTP", server.stop))
        env["FCIO_SMTP_URL"] = url
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    logins = asyncio.run(_with_services(settings, _seed_demo_and_score))

    fcio = [sys.executable, "-m", "app.cli"]
    children = [
        subprocess.Popen([*fcio, "serve", "--host", args.host, "--port", str(args.port)], env=env),
        subprocess.Popen([*fcio, "worker"], env=env),
    ]
    print(f"\nfcio is running: http://{args.host}:{args.port}/graphql  (Ctrl-C stops everything)")
    for line in logins:
        print(f"  {line}")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    # Ctrl-C stops everything even when started from a background job, which inherits SIGINT
    # ignored (Python then installs no KeyboardInterrupt handler of its own).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while not stop["now"] and all(c.poll() is None for c in children):
            time.sleep(0.3)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping the API and the worker ...", flush=True)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        for what, stop_server in stops:
            print(f"stopping embedded {what} ...", flush=True)
            stop_server()
        print("stopped")


async def _seed_demo_and_score(services) -> list[str]:
    from app.health.backfill import recompute_months
    from app.months import add_months, last_full_month
    from app.seed.demo import seed_demo

    summary = await seed_demo(services.sessionmaker)
    print(summary.message)
    if summary.created:
        last = last_full_month()
        await recompute_months(services, add_months(last, -11), last, progress=True)
    return [f"{login.role.value:<16} {login.email}  password: {login.password}" for login in summary.logins]


# ---- argument parsing -----------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fcio", description="fcio: the backend of a fractional CIO practice.")
    sub = p.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run everything locally (embedded PostgreSQL/Redis/SMTP unless DATABASE_URL/REDIS_URL/FCIO_SMTP_URL are set)")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--host", default="127.0.0.1")
    dev.set_defaults(func=cmd_dev)

    mig = sub.add_parser("migrate", help="upgrade the database to the latest schema")
    mig.add_argument("--check", action="store_true", help="exit non-zero if the database is not at head")
    mig.set_defaults(func=cmd_migrate)

    serve = sub.add_parser("serve", help="run the API (production)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="API processes")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run a background worker (health scores, PSA deliveries)")
    worker.set_defaults(func=cmd_worker)

    users = sub.add_parser("users", help="manage users").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create a user (and the practice if it does not exist)")
    create.add_argument("--practice", required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name")
    create.add_argument("--role", required=True, choices=["PRACTICE_ADMIN", "CIO", "CLIENT_EXECUTIVE"])
    create.add_argument("--tenant", action="append", metavar="SLUG", help="grant a tenant (repeatable)")
    create.set_defaults(func=cmd_users_create)
    reset = users.add_parser("reset-two-factor", help="turn two-factor sign-in off for a user who lost the app and the recovery codes")
    reset.add_argument("--email", required=True)
    reset.set_defaults(func=cmd_users_reset_two_factor)

    seed = sub.add_parser("seed", help="load realistic synthetic data (deterministic per --seed)")
    seed.add_argument("--tenants", type=int, required=True)
    seed.add_argument("--months", type=int, required=True)
    seed.add_argument("--practice", default="Synthetic Practice")
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--cio-tenants", type=int, default=0, help="also create a CIO granted this many tenants")
    seed.add_argument("--cio-password", default="benchmark-password-1", help="the password of that CIO")
    seed.set_defaults(func=cmd_seed)

    rec = sub.add_parser("recompute", help="score health for a month or a range of months now (backfills)")
    rec.add_argument("--month", required=True, help="YYYY-MM (the last month of the range)")
    rec.add_argument("--from", dest="from_month", help="YYYY-MM (first month; default: --month)")
    rec.add_argument("--tenant", help="only this tenant slug")
    rec.set_defaults(func=cmd_recompute)

    schema = sub.add_parser("schema", help="the GraphQL schema").add_subparsers(dest="schema_command", required=True)
    export = schema.add_parser("export", help="write the SDL exported from the code")
    export.add_argument("--output", default="graphql/schema.graphql")
    export.set_defaults(func=cmd_schema_export)

    tenants = sub.add_parser("tenants", help="client data").add_subparsers(dest="tenants_command", required=True)
    imp = tenants.add_parser("import", help="re-import a tenant from its exportTenant JSON (the tenant must not exist)")
    imp.add_argument("file", help="the JSON document exportTenant returned (its `export` field)")
    imp.set_defaults(func=cmd_tenants_import)

    report = sub.add_parser("report", help="a tenant's monthly executive report, as a file (html, pdf or pptx)")
    report.add_argument("--tenant", metavar="SLUG", help="the tenant's slug")
    report.add_argument("--month", metavar="YYYY-MM")
    report.add_argument("--format", default="html", help="html (default), pdf or pptx")
    report.add_argument("--out", metavar="FILE")
    report.add_argument("--practice", metavar="NAME", help="the tenant's practice, when several use the slug")
    report.set_defaults(func=cmd_report)
    rotate = report.add_subparsers(dest="report_command").add_parser(
        "rotate-secret", help="give a practice a new report secret: every report link it mailed stops opening")
    rotate.add_argument("--practice", required=True, metavar="NAME")
    rotate.set_defaults(func=cmd_report_rotate_secret)

    deliveries = sub.add_parser("deliveries", help="PSA webhook deliveries").add_subparsers(dest="deliveries_command", required=True)
    replay = deliveries.add_parser("replay", help="process stored deliveries again (after fixing a mapping)")
    replay.add_argument("--integration", required=True, help="integration id")
    replay.add_argument("--failed", action="store_true", required=True, help="replay the deliveries that failed")
    replay.set_defaults(func=cmd_deliveries_replay)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
