#!/usr/bin/env node
// `npm start`: Lifeboat on this machine. Local D1 and R2 live in miniflare (under .wrangler/state),
// migrations are applied first, and .dev.vars gets fresh random secrets the first time.
//
// The first screen is what a newcomer needs — the URL, the admin token, the first commands — so
// wrangler's own start-up chatter is kept back: the migration table it redraws after every file
// becomes one line, and its telemetry notice, update check and the `Request.cf` download (a stack
// trace on a machine without internet) are switched off for local runs. Whatever wrangler prints
// after the server is up (request logs, errors) passes through; if it fails to start, everything
// it said is shown.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
const persist = process.env.LIFEBOAT_STATE ?? ".wrangler/state";
// Another file than .dev.vars (tests, a second local instance) goes to wrangler as --env-file.
const varsFile = process.env.LIFEBOAT_DEV_VARS ?? ".dev.vars";

/** Quiet, offline-friendly wrangler for local runs; a value the user set in the environment wins. */
const wranglerEnv = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  // The banner is also what triggers wrangler's npm update check.
  WRANGLER_HIDE_BANNER: "true",
  // miniflare would download Request.cf data from workers.cloudflare.com; its placeholder is fine here.
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  ...process.env,
};

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

/** Runs a command with its output captured; resolves with the exit code and everything it printed. */
function capture(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolve({ code: 127, output: `${output}${error.message}\n` }));
    child.on("exit", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** `wrangler d1 migrations apply`, said in one line: its table is redrawn once per migration file. */
async function applyMigrations() {
  const args = ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist];
  const { code, output } = await capture("wrangler", args, { ...wranglerEnv, CI: "true" });
  if (code !== 0) {
    process.stderr.write(output);
    console.error(`\nwrangler d1 migrations apply failed (exit ${code}); nothing was started.`);
    process.exit(code);
  }
  const applied = [...new Set([...output.matchAll(/│\s*(\S+)\.sql\s*│\s*✅/g)].map((m) => m[1]))];
  if (applied.length === 0) console.log("database: up to date");
  else if (applied.length === 1) console.log(`database: applied migration ${applied[0]}`);
  else console.log(`database: applied ${applied.length} migrations (${applied[0]} … ${applied.at(-1)})`);
}

function banner(url, token) {
  return `
Lifeboat is running at ${url}  (status page at /, dashboard at /admin)
  admin token:  ${token}   (in ${varsFile}; the dashboard's login)

Try it:
  TOKEN=${token}
  curl -s -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
       -d '{"name":"nightly backup","period_s":86400}' ${url}/api/v1/checks
  curl -fsS -m 10 --retry 5 -o /dev/null ${url}/ping/<uuid>      # ping it
  curl -s "${url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*"      # run the sweep now
  API: ${url}/api/openapi.json (docs/API.md)

The sweep runs every minute, as Cloudflare's cron does in production.
Requests are logged below; Ctrl-C stops Lifeboat.
`;
}

// wrangler dev never fires cron triggers by itself. Without a sweep nothing goes down, no alert is
// sent, and the status page soon says "Monitoring delayed" — so run it minutely, on the minute.
const SWEEP_MARK = "from=npm-start";

function sweepEveryMinute(url) {
  const run = () =>
    fetch(`${url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&${SWEEP_MARK}`).then(
      (response) => response.body?.cancel(),
      () => undefined, // stopping: the next run or the exit will tell
    );
  run();
  setTimeout(
    () => {
      run();
      setInterval(run, 60_000).unref();
    },
    60_000 - (Date.now() % 60_000),
  ).unref();
}

async function main() {
  ensureDevVars();
  await applyMigrations();

  const url = `http://127.0.0.1:${port}`;
  const args = ["dev", "--port", port, "--ip", "127.0.0.1", "--persist-to", persist, "--test-scheduled"];
  if (varsFile !== ".dev.vars") args.push("--env-file", varsFile);
  const dev = spawn("wrangler", args, { stdio: ["inherit", "pipe", "pipe"], env: wranglerEnv });

  // Until the server is up, wrangler's lines are held back (the bindings table, "Starting local
  // server") except warnings and errors; once it is ready, everything passes through.
  let ready = false;
  let held = "";
  const pass = (stream) => (chunk) => {
    const text = String(chunk);
    // Our own minutely sweep requests are not news; a sweep's errors and the user's requests are.
    if (ready) return stream.write(text.replace(new RegExp(`^.*${SWEEP_MARK}.*\n?`, "gm"), ""));
    held += text;
    for (const line of text.split("\n")) if (/error|✘|\[wrangler:(warn|error)\]/i.test(line)) stream.write(`${line}\n`);
    if (/Ready on/.test(held)) {
      ready = true;
      console.log(banner(url, readVar("ADMIN_TOKEN")));
      if (process.env.LIFEBOAT_SWEEP !== "off") sweepEveryMinute(url);
    }
  };
  dev.stdout.on("data", pass(process.stdout));
  dev.stderr.on("data", pass(process.stderr));
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
  dev.on("exit", (code) => {
    if (!ready && held) process.stderr.write(`\nwrangler dev stopped before it was ready; it said:\n${held}`);
    process.exit(code ?? 0);
  });
}

await main();
