// A snapshot of a Worker for long benchmarks: `wrangler dev` watches its sources and restarts the
// Worker when one changes (others edit worker/ while benchmarks run), which spoils a CPU or memory
// measurement. So the entry point is bundled once (`wrangler deploy --dry-run --outdir`, no
// network) and a copy of the config points at the bundle. test/helpers/frozen-worker.ts does this
// for wrangler.toml's own entry point; this does it for any config, e.g. bench/lib/counting-worker.ts's.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { REPO_ROOT } from "../../test/helpers/wrangler-dev.ts";

/** Bundles `config`'s entry point into `dir`/bundle and rewrites `config` in place to run the bundle. */
export async function freezeConfig(config, dir) {
  const outdir = join(dir, "bundle");
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      "--outdir",
      outdir,
      "--config",
      config,
    ],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    },
  );
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await new Promise((done) => child.on("close", done));
  if (code !== 0) throw new Error(`bundling ${config} failed (exit ${code}):\n${output}`);
  const main = /^main\s*=\s*"([^"]+)"/m.exec(readFileSync(config, "utf8"))?.[1];
  if (!main) throw new Error(`${config} has no main = "…" line`);
  const entry = `${basename(main).replace(/\.[cm]?[jt]s$/, "")}.js`;
  if (!readdirSync(outdir).includes(entry))
    throw new Error(`no ${entry} in ${outdir}: ${readdirSync(outdir).join(", ")}`);
  const toml = readFileSync(config, "utf8").replace(
    /^main\s*=\s*"[^"]+"/m,
    `main = ${JSON.stringify(join(outdir, entry))}`,
  );
  writeFileSync(config, toml);
  return config;
}
