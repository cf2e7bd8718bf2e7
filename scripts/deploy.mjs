#!/usr/bin/env node
// `npm run deploy`: first-time and repeat deploys to Cloudflare (needs `wrangler login` or
// CLOUDFLARE_API_TOKEN). Each step is idempotent: existing resources and secrets are kept.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const CONFIG = "wrangler.toml";
const PLACEHOLDER = "00000000-0000-0000-0000-000000000000";

function wrangler(args, { input, allowFail = false } = {}) {
  const result = spawnSync("wrangler", args, {
    input,
    encoding: "utf8",
    stdio: [input ? "pipe" : "inherit", "pipe", "pipe"],
  });
  if (result.status !== 0 && !allowFail) {
    process.stderr.write(result.stdout + result.stderr);
    console.error(`\nwrangler ${args.join(" ")} failed`);
    process.exit(result.status ?? 1);
  }
  return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
}

function step(title) {
  console.log(`\n==> ${title}`);
}

step("D1 database");
let config = readFileSync(CONFIG, "utf8");
if (config.includes(PLACEHOLDER)) {
  const created = wrangler(["d1", "create", "lifeboat"], { allowFail: true });
  const listed = created.ok ? created.out : wrangler(["d1", "info", "lifeboat", "--json"]).out;
  const id = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(listed)?.[1];
  if (!id) throw new Error("could not read the D1 database id from wrangler's output");
  config = config.replace(PLACEHOLDER, id);
  writeFileSync(CONFIG, config);
  console.log(`database_id ${id} written to ${CONFIG} (commit it)`);
} else {
  console.log("already configured");
}

step("R2 bucket");
const bucket = wrangler(["r2", "bucket", "create", "lifeboat-backups"], { allowFail: true });
console.log(
  bucket.ok
    ? "created lifeboat-backups"
    : "exists (or see the message below)\n" + bucket.out.trim().split("\n").slice(-2).join("\n"),
);

step("secrets");
const existing = wrangler(["secret", "list"], { allowFail: true }).out;
for (const name of ["ADMIN_TOKEN", "LIFEBOAT_MASTER_KEY"]) {
  if (existing.includes(`"${name}"`)) {
    console.log(`${name} is set (kept)`);
    continue;
  }
  const value = randomBytes(name === "ADMIN_TOKEN" ? 24 : 32).toString("hex");
  wrangler(["secret", "put", name], { input: value });
  // Shown once, like every secret Lifeboat makes. The master key is never shown: losing it
  // only means issuing new agent keys, while printing it would leak every derived secret.
  if (name === "ADMIN_TOKEN") console.log(`ADMIN_TOKEN=${value}   <- store it in your password manager now`);
  else console.log(`${name} set`);
}

step("migrations");
wrangler(["d1", "migrations", "apply", "DB", "--remote"], { input: "y\n" });
console.log("applied");

step("deploy");
console.log(wrangler(["deploy"]).out.trim());
