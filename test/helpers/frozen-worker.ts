import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A snapshot of the Worker for long-running e2e tests and benchmarks. `wrangler dev` watches the
 * sources and restarts the Worker whenever one changes, failing the request in flight with 503
 * "Your worker restarted mid-request" — a minutes-long upload dies whenever someone saves a file
 * under worker/ meanwhile. So the Worker is bundled once (`wrangler deploy --dry-run --outdir`,
 * no network) and a config is written in `dir` whose `main` is that bundle: the dev server then
 * watches only a file nobody edits. Bindings, vars, triggers and migrations stay wrangler.toml's;
 * the config's directory becomes wrangler's project root, so its .wrangler/ lands in `dir` too.
 * Used from vitest and from bench/*.mjs (plain Node 22), so: erasable TypeScript, node: imports.
 */
// Not imported from wrangler-dev.ts: plain Node needs the .ts extension there, and tsc refuses it.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export async function frozenWorkerConfig(dir: string): Promise<string> {
  const source = join(REPO_ROOT, "wrangler.toml");
  const outdir = join(dir, "bundle");
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.on("close", (c) => done(c)));
  if (code !== 0) throw new Error(`bundling the Worker failed (wrangler deploy --dry-run, exit ${code}):\n${output}`);

  let toml = readFileSync(source, "utf8");
  for (const [key, value] of [
    ["main", join(outdir, "index.js")],
    ["migrations_dir", null],
  ] as const) {
    const line = new RegExp(`^(${key}\\s*=\\s*)"([^"]+)"`, "m");
    const found = line.exec(toml);
    // Loud, so a reshuffled wrangler.toml cannot silently leave a path pointing into `dir`.
    if (!found) throw new Error(`wrangler.toml has no ${key} = "…" line`);
    toml = toml.replace(line, `$1${JSON.stringify(value ?? join(REPO_ROOT, found[2]!))}`);
  }
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, toml);
  return config;
}
