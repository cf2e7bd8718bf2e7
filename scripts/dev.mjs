#!/usr/bin/env node
// `npm start`: Lifeboat on this machine. Local D1 and R2 live in miniflare (under .wrangler/state),
// migrations are applied first, and .dev.vars gets fresh random secrets the first time.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
const persist = process.env.LIFEBOAT_STATE ?? ".wrangler/state";
const varsFile = ".dev.vars";

function ensureDevVars() {
  const current = existsSync(varsFile) ? readFileSync(varsFile, "utf8") : "";
  const has = (name) => new RegExp(`^${name}=`, "m").test(current);
  const wanted = {
    ADMIN_TOKEN: () => randomBytes(24).toString("hex"),
    LIFEBOAT_MASTER_KEY: () => randomBytes(32).toString("hex"),
    // Local receivers are plain http on loopback; never set this in production.
    ALLOW_INSECURE_CHANNELS: () => "true",
  };
  const missing = Object.entries(wanted).filter(([name]) => !has(name));
  if (missing.length === 0) return;
  // Existing values are never overwritten: only absent ones are appended.
  const lines = missing.map(([name, make]) => `${name}=${make()}`).join("\n");
  writeFileSync(varsFile, `${current}${current && !current.endsWith("\n") ? "\n" : ""}${lines}\n`, { mode: 0o600 });
  console.log(`wrote ${missing.map(([n]) => n).join(", ")} to ${varsFile}`);
}

function readVar(name) {
  const match = new RegExp(`^${name}=(.*)$`, "m").exec(readFileSync(varsFile, "utf8"));
  return match ? match[1].trim().replace(/^"(.*)"$/, "$1") : "";
}

ensureDevVars();
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const dev = spawn(
  "wrangler",
  ["dev", "--port", port, "--ip", "127.0.0.1", "--persist-to", persist, "--test-scheduled"],
  {
    stdio: ["inherit", "pipe", "inherit"],
  },
);
let announced = false;
dev.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/.test(String(chunk))) {
    announced = true;
    const url = `http://127.0.0.1:${port}`;
    const token = readVar("ADMIN_TOKEN");
    console.log(`
Lifeboat is running at ${url}
  admin token: ${token}

  create a check:  curl -s -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" \\
                     -d '{"name":"nightly backup","period_s":86400}' ${url}/api/v1/checks
  ping it:         curl -fsS -m 10 --retry 5 -o /dev/null ${url}/ping/<uuid>
  run the sweep:   curl -s "${url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*"
  API document:    ${url}/api/openapi.json
`);
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
