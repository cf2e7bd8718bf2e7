#!/usr/bin/env node
// `npm run bench`: runs every bench/*.mjs script (this one excepted) one after another, each in
// its own Node process so one script's servers and timers cannot disturb the next. Results go to
// bench/out/ (gitignored). Exits non-zero if any script failed.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2); // e.g. `npm run bench -- pings`
const scripts = readdirSync(here)
  .filter((name) => name.endsWith(".mjs") && name !== "run.mjs")
  .filter((name) => only.length === 0 || only.includes(name.replace(/\.mjs$/, "")))
  .sort();

const failed = [];
for (const script of scripts) {
  console.log(`\n=== bench/${script}`);
  const result = spawnSync(process.execPath, [join(here, script)], { stdio: "inherit" });
  if (result.status !== 0) failed.push(`${script} (${result.signal ?? `exit ${result.status}`})`);
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(", ")}`);
  process.exit(1);
}
