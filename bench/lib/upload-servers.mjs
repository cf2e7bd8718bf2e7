// The two dev servers the upload benchmarks compare: Lifeboat (bundled once, migrated) and a bare
// Worker that only does R2.put(body, { sha256 }) (bench/lib/r2-put-worker.js) — the same runtime
// and local R2 simulator with none of Lifeboat's code, so the distance between them is Lifeboat's own.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { frozenWorkerConfig } from "../../test/helpers/frozen-worker.ts";
import { applyMigrations, startWranglerDev } from "../../test/helpers/wrangler-dev.ts";
import { baselineConfig } from "./configs.mjs";

/**
 * Starts both under `dir`, pushing each onto `servers` as soon as it runs (so a failure of the
 * second still stops the first). A frozen bundle: others editing worker/ meanwhile must not restart
 * it mid-upload. Secrets come from `vars` only (an empty env file, no .dev.vars); miniflare's
 * scratch files (and any spooled body) land in `dir`, removed with it; no per-request logging in
 * the numbers.
 * @param {string} dir the benchmark's temp dir
 * @param {Record<string, string>} vars Lifeboat's secrets (ADMIN_TOKEN, LIFEBOAT_MASTER_KEY)
 * @param {{ stop(): Promise<void> }[]} servers the benchmark's servers, stopped at its end
 */
export async function startUploadServers(dir, vars, servers) {
  const config = await frozenWorkerConfig(join(dir, "lifeboat"));
  await applyMigrations(join(dir, "state"), config);
  const envFile = join(dir, "empty.env");
  writeFileSync(envFile, "");
  const tmpBefore = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const dev = await startWranglerDev({ config, persistTo: join(dir, "state"), envFile, logLevel: "warn", vars });
    servers.push(dev);
    const bare = await startWranglerDev({
      config: baselineConfig(join(dir, "bare"), {
        name: "lifeboat-bench-r2-put",
        main: "bench/lib/r2-put-worker.js",
        r2: true,
      }),
      persistTo: join(dir, "bare-state"),
      envFile,
      logLevel: "warn",
    });
    servers.push(bare);
    return { dev, bare };
  } finally {
    if (tmpBefore === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpBefore;
  }
}
