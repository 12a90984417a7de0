"""Read operations compiled into one SQL statement that builds the response's JSON.

Why: for the portfolio's 200 tenants graphql-core executes ~7,000 fields and ~600 tasks per
request (100+ ms of Python); PostGraphile, the peer, compiles a request into one statement. We do
the same for the read fields users wait on (`tenants`, `tenant` and what hangs off a tenant:
health, history, risks, initiatives, vendors, the budget and its forecast, the roadmap, meetings
and their suggested agenda; and `portfolio`), so the executive report is one statement too. The
executor stays the reference: a document with anything the compiler does not know (another field,
a fragment, a directive, an argument the resolver would refuse, a cursor on a nested list) is
executed as before, and the tests compare both answers byte for byte.

Tenancy holds as on every other path: the statement runs in the request's transaction after the
tenant setting, under RLS, and filters by the viewer's tenants exactly like the resolvers.
"""

from app.api.compiled.run import execute

__all__ = ["execute"]
