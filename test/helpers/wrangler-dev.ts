import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A throwaway `wrangler dev` for end-to-end tests and benchmarks: its own port, its own persist
 * directory and its own secrets, so it never reads the developer's .dev.vars or .wrangler/state.
 * Used by test/e2e (through vitest) and by bench/*.mjs (plain Node 22, which strips the types),
 * so this file sticks to erasable TypeScript and node: imports.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const WRANGLER_BIN = join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js");

export type DevOptions = {
  /** Wrangler config (default: the repo's wrangler.toml). */
  config?: string;
  /** Fresh directory for D1/R2 state; never the developer's .wrangler/state. */
  persistTo: string;
  /**
   * An env file that replaces .dev.vars (wrangler reads no .dev.vars when --env-file is given).
   * Pass an empty file to start from nothing but wrangler.toml's [vars].
   */
  envFile: string;
  /** Bindings passed as `--var NAME:value`; they win over the config and the env file. */
  vars?: Record<string, string>;
  testScheduled?: boolean;
  /** "info" (default) logs every request; benchmarks pass "warn" to keep logging out of the numbers. */
  logLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  readyTimeoutMs?: number;
};

export type DevServer = {
  url: string;
  pid: number;
  /** Everything wrangler printed so far (the tail, for error messages). */
  logs: () => string;
  /** SIGTERM to the whole process group (wrangler, its node child, workerd), SIGKILL if it lingers. */
  stop: () => Promise<void>;
};

/** Refuses early with a clear message instead of wrangler's own complaint about Node 20. */
function nodeBinary(): string {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22)
    throw new Error(`wrangler needs Node >= 22.12 but this is ${process.version}: run through npm scripts or npx`);
  return process.execPath;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Keeps the last `limit` characters of a stream so a failure can show what wrangler said. */
function tail(child: ChildProcess, limit = 64_000) {
  let text = "";
  const take = (chunk: Buffer) => {
    text += chunk.toString("utf8").replace(/\x1b\[[0-9;]*m/g, ""); // no colour codes in error messages
    if (text.length > limit) text = text.slice(-limit);
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  return () => text;
}

function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: "true", // no prompts, no interactive dev session
    WRANGLER_SEND_METRICS: "false",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
}

/** `wrangler d1 migrations apply DB --local --persist-to <dir>`, non-interactive. */
export async function applyMigrations(persistTo: string, config = join(REPO_ROOT, "wrangler.toml")): Promise<void> {
  const child = spawn(
    nodeBinary(),
    [WRANGLER_BIN, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, "--config", config],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: wranglerEnv(),
    },
  );
  const logs = tail(child);
  const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)));
  if (code !== 0) throw new Error(`wrangler d1 migrations apply failed (exit ${code}):\n${logs()}`);
}

export async function startWranglerDev(options: DevOptions): Promise<DevServer> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [
    WRANGLER_BIN,
    "dev",
    "--config",
    options.config ?? join(REPO_ROOT, "wrangler.toml"),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    options.persistTo,
    "--env-file",
    options.envFile,
    "--log-level",
    options.logLevel ?? "info",
    ...(options.testScheduled ? ["--test-scheduled"] : []),
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  // detached: its own process group, so stop() reaches wrangler's node child and workerd too.
  const child = spawn(nodeBinary(), args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: wranglerEnv(),
  });
  const pid = child.pid!;
  const logs = tail(child);
  let exited: number | null | undefined;
  const exit = new Promise<void>((done) =>
    child.on("exit", (code, signal) => ((exited = code ?? (signal ? -1 : null)), done())),
  );
  live.add(pid);
  watchForSignals();

  const stop = async () => {
    live.delete(pid);
    killGroup(pid, "SIGTERM");
    if (!(await groupGone(pid, 5_000))) {
      killGroup(pid, "SIGKILL");
      await groupGone(pid, 5_000);
    }
    await Promise.race([exit, new Promise((r) => setTimeout(r, 1_000))]);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`wrangler dev exited (${exited}) before answering:\n${logs()}`);
    }
    try {
      // Any HTTP answer means workerd and the proxy in front of it are up.
      const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `wrangler dev did not answer on ${url} within ${options.readyTimeoutMs ?? 60_000} ms:\n${logs()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { url, pid, logs, stop };
}

/**
 * The servers run in their own process groups, which a Ctrl-C in the terminal does not reach.
 * If this process exits or is interrupted before stop(), it takes them down on its way out.
 */
const live = new Set<number>();
let watching = false;

function watchForSignals() {
  if (watching) return;
  watching = true;
  process.once("exit", () => {
    for (const pgid of live) killGroup(pgid, "SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      for (const pgid of live) killGroup(pgid, "SIGKILL");
      live.clear();
      // Then die of the same signal, as if nobody had listened.
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Live (non-zombie) processes in a process group, read from /proc. */
export function groupMembers(pgid: number): number[] {
  if (!existsSync("/proc")) return [];
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …; comm may hold spaces, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry));
    } catch {
      /* exited while we looked */
    }
  }
  return members;
}

async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (groupMembers(pgid).length === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return groupMembers(pgid).length === 0;
}
