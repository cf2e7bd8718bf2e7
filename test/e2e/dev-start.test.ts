import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, REPO_ROOT } from "../helpers/wrangler-dev";

/**
 * `npm start` (scripts/dev.mjs), issue 14 item 13: the first screen shows the URL, the admin token
 * and the first commands — not the migration table once per file, not wrangler's banner, telemetry
 * notice or a stack trace from a Request.cf download on a machine without internet. Runs the real
 * script and the real wrangler dev, with its own state directory and vars file.
 */

const dir = mkdtempSync(join(tmpdir(), "lifeboat-dev-start-"));
const varsFile = join(dir, "dev.vars");
const state = join(dir, "state");
const started: number[] = [];

afterAll(async () => {
  for (const pid of started) {
    stopGroup(pid);
    await groupGone(pid);
  }
  rmSync(dir, { recursive: true, force: true });
});

function stopGroup(pid: number) {
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    /* already gone */
  }
}

/** Waits until every process of the group has exited (the state directory is free again). */
async function groupGone(pid: number) {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-pid, "SIGKILL");
}

/** Runs scripts/dev.mjs until it says it is ready; returns everything printed up to then. */
async function start(): Promise<{ screen: string; url: string; pid: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["scripts/dev.mjs"], {
    cwd: REPO_ROOT,
    detached: true, // its own process group: wrangler and workerd stop with it
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PATH: `${join(REPO_ROOT, "node_modules/.bin")}:${process.env.PATH}`,
      PORT: String(port),
      LIFEBOAT_STATE: state,
      LIFEBOAT_DEV_VARS: varsFile,
    },
  });
  started.push(child.pid!);
  let screen = "";
  child.stdout.on("data", (chunk) => (screen += chunk));
  child.stderr.on("data", (chunk) => (screen += chunk));
  const deadline = Date.now() + 150_000;
  while (!screen.includes("Ctrl-C stops Lifeboat")) {
    if (child.exitCode !== null) throw new Error(`dev.mjs exited ${child.exitCode}:\n${screen}`);
    if (Date.now() > deadline) throw new Error(`dev.mjs was not ready in time:\n${screen}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { screen, url: `http://127.0.0.1:${port}`, pid: child.pid! };
}

/** What a first screen must not have: wrangler's tables, banner, telemetry notice, stack traces. */
function expectQuiet(screen: string) {
  expect(screen).not.toMatch(/[┌│└]/);
  expect(screen).not.toMatch(/^\s+at /m);
  expect(screen).not.toMatch(/ENOTFOUND|Error:|telemetry|⛅️/);
  expect(screen.trimEnd().split("\n").length).toBeLessThanOrEqual(20);
}

describe("npm start", () => {
  it("shows the URL, the admin token and the first commands on a quiet first screen, migrations in one line", async () => {
    const first = await start();
    const token = /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(varsFile, "utf8"))![1]!;
    const migrations = readdirSync(join(REPO_ROOT, "migrations")).filter((f) => f.endsWith(".sql")).length;
    expect(first.screen).toContain(`Lifeboat is running at ${first.url}`);
    expect(first.screen).toContain(`admin token:  ${token}`);
    expect(first.screen).toContain(`${first.url}/api/v1/checks`);
    expect(first.screen.match(/^database: .*$/gm)).toEqual([
      expect.stringMatching(new RegExp(`^database: applied ${migrations} migrations \\(0000_init … `)),
    ]);
    expectQuiet(first.screen);
    const page = await fetch(`${first.url}/`);
    expect(page.status).toBe(200);
    await page.body?.cancel();
    stopGroup(first.pid);
    await groupGone(first.pid);

    // A second start on the same state: nothing to apply, the same token, still quiet.
    const again = await start();
    expect(again.screen.match(/^database: .*$/gm)).toEqual(["database: up to date"]);
    expect(again.screen).toContain(`admin token:  ${token}`);
    expectQuiet(again.screen);
  }, 400_000);
});
