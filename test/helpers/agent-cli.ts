import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lifeboat } from "./e2e";
import { REPO_ROOT } from "./wrangler-dev";

/**
 * The real `lifeboat` agent (agent-script/lifeboat under dash, with the machine's curl, openssl,
 * split, pg_dump…) configured against an e2e `wrangler dev`: the TypeScript twin of
 * make_agent_config in agent-script/test/helpers/common.bash. Each command runs in its own
 * process group so a test can kill -9 the agent together with the curl it is running. The agent is
 * copied into the test's dir when it is set up, so an edit of agent-script/lifeboat while a long
 * test runs cannot change the agent under it halfway.
 */

export const AGENT = join(REPO_ROOT, "agent-script/lifeboat");

export type AgentResult = { code: number; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export type AgentSetup = {
  /** LIFEBOAT_CONFIG_DIR, LIFEBOAT_STATE_DIR, LIFEBOAT_MIN_FREE_MB, LIFEBOAT_TMPDIR and LIFEBOAT_ALLOW_HTTP for every command. */
  env: Record<string, string>;
  configDir: string;
  stateDir: string;
  /** The copy of agent-script/lifeboat this setup runs. */
  agentPath: string;
  /** Writes jobs/NAME.conf (KEY=VALUE lines). */
  job: (name: string, settings: Record<string, string | number>) => void;
  /** Runs `lifeboat ARGS…` to the end (killed with its group after timeoutMs). */
  run: (args: string[], env?: Record<string, string>, timeoutMs?: number) => Promise<AgentResult>;
  /** Starts `lifeboat ARGS…` and hands back the process (its pid is its process group's id). */
  start: (args: string[], env?: Record<string, string>) => { child: ChildProcess; done: Promise<AgentResult> };
};

/**
 * Creates a check of each `slug:kind`, one key for all of them with `scopes` (default: what
 * ENGINE=lifeboat needs), and the agent's config in `dir`.
 */
export async function setUpAgent(
  lifeboat: Lifeboat<boolean>,
  dir: string,
  specs: string[],
  scopes: string[] = ["ping", "upload", "read"],
): Promise<AgentSetup> {
  const slugs: string[] = [];
  for (const spec of specs) {
    const [slug, kind] = spec.split(":") as [string, string];
    const created = await lifeboat.api("POST", "/api/v1/checks", { name: slug, slug, kind, period_s: 86400 });
    if (created.status !== 201) throw await lifeboat.serverError(`create check ${slug}`, created);
    slugs.push(slug);
  }
  const key = await lifeboat.api("POST", "/api/v1/keys", {
    host: "reliability",
    checks: slugs,
    scopes,
  });
  if (key.status !== 201) throw await lifeboat.serverError("create key", key);
  const configDir = join(dir, "conf");
  const stateDir = join(dir, "state");
  const workDir = join(dir, "tmp");
  for (const d of [join(configDir, "jobs"), stateDir, workDir]) mkdirSync(d, { recursive: true });
  writeFileSync(join(configDir, "secret"), `${key.body.secret}\n`);
  chmodSync(join(configDir, "secret"), 0o600);
  writeFileSync(
    join(configDir, "lifeboat.conf"),
    `LIFEBOAT_URL=${lifeboat.dev.url}\nLIFEBOAT_KEY_ID=${key.body.key_id}\nLIFEBOAT_SECRET_FILE=${join(configDir, "secret")}\n`,
  );
  chmodSync(join(configDir, "lifeboat.conf"), 0o600);
  const agentPath = join(dir, "lifeboat");
  copyFileSync(AGENT, agentPath);
  const env = {
    LIFEBOAT_CONFIG_DIR: configDir,
    LIFEBOAT_STATE_DIR: stateDir,
    LIFEBOAT_TMPDIR: workDir,
    LIFEBOAT_MIN_FREE_MB: "1",
    // wrangler dev is plain http on 127.0.0.1: the agent takes http only with this.
    LIFEBOAT_ALLOW_HTTP: "1",
  };

  const start = (args: string[], extra: Record<string, string> = {}) => {
    const child = spawn("dash", [agentPath, ...args], {
      env: { ...process.env, ...env, ...extra },
      detached: true, // its own process group: a kill reaches the curl it runs, too
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
    const done = new Promise<AgentResult>((resolve) =>
      child.on("close", (code, signal) => resolve({ code: code ?? 128, signal, stdout, stderr })),
    );
    return { child, done };
  };

  const run = async (args: string[], extra: Record<string, string> = {}, timeoutMs = 120_000) => {
    const { child, done } = start(args, extra);
    const timer = setTimeout(() => killGroup(child.pid!, "SIGKILL"), timeoutMs);
    const result = await done;
    clearTimeout(timer);
    return result;
  };

  const job = (name: string, settings: Record<string, string | number>) => {
    const lines = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    writeFileSync(join(configDir, "jobs", `${name}.conf`), `${lines.join("\n")}\n`);
  };

  return { env, configDir, stateDir, agentPath, job, run, start };
}

/** SIGKILL (or another signal) to a whole process group; quiet if it is gone already. */
export function killGroup(pgid: number, signal: NodeJS.Signals = "SIGKILL") {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}
