// wrangler configs for the benchmarks' baseline Workers, written into a temp dir (their .wrangler/
// lands there too), on the same compatibility date and flags as Lifeboat's own wrangler.toml.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/helpers/wrangler-dev.ts";

/**
 * @param {string} dir a fresh directory for the config
 * @param {{ name: string, main: string, d1?: boolean, r2?: boolean }} worker main relative to the repo;
 *   d1: Lifeboat's D1 binding with its migrations; r2: an R2 bucket bound as BUCKET
 */
export function baselineConfig(dir, { name, main, d1 = false, r2 = false }) {
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(
    readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8"),
  )?.[1];
  if (!compatibilityDate) throw new Error("wrangler.toml has no compatibility_date");
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "wrangler.toml");
  const lines = [
    `name = "${name}"`,
    `main = ${JSON.stringify(join(REPO_ROOT, main))}`,
    `compatibility_date = "${compatibilityDate}"`, // the same runtime as Lifeboat
    'compatibility_flags = ["nodejs_compat"]',
  ];
  if (d1)
    lines.push(
      "[[d1_databases]]",
      'binding = "DB"',
      'database_name = "lifeboat"',
      'database_id = "00000000-0000-0000-0000-000000000000"',
      `migrations_dir = ${JSON.stringify(join(REPO_ROOT, "migrations"))}`,
    );
  if (r2) lines.push("[[r2_buckets]]", 'binding = "BUCKET"', `bucket_name = "${name}"`);
  writeFileSync(config, `${lines.join("\n")}\n`);
  return config;
}
