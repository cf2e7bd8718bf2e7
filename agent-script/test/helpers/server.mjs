// A throwaway `wrangler dev` for the agent's bats tests: fresh state dir and secrets, migrations
// applied. Writes URL=… and ADMIN_TOKEN=… lines to the file given as argv[2] once it answers, then
// stays up until it gets SIGTERM (wrangler-dev.ts takes wrangler's process group down with it).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, startWranglerDev } from "../../../test/helpers/wrangler-dev.ts";

const out = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), "lifeboat-agent-server-"));
const adminToken = randomBytes(24).toString("hex");
const persistTo = join(dir, "state");
const envFile = join(dir, "empty.env");
writeFileSync(envFile, "");
await applyMigrations(persistTo);
const dev = await startWranglerDev({
  persistTo,
  envFile,
  logLevel: "warn",
  vars: { ADMIN_TOKEN: adminToken, LIFEBOAT_MASTER_KEY: randomBytes(32).toString("hex") },
});
writeFileSync(out, `URL=${dev.url}\nADMIN_TOKEN=${adminToken}\n`);
const stop = async () => {
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setInterval(() => {}, 1 << 30);
