import { readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A copy of the repo's wrangler.toml inside a temp dir, for e2e tests and benchmarks that need a
 * binding or an entry point the real config does not have. The copy's directory becomes wrangler's
 * project root, so its .wrangler/tmp (bundles, sent .eml files) lands in the temp dir, not the repo;
 * the relative paths in it (`main`, `migrations_dir`) are made absolute so they still find the repo.
 * Used from vitest and from bench/*.mjs (plain Node 22), so: erasable TypeScript, node: imports only.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export type TempConfigOptions = {
  /** Entry point instead of wrangler.toml's `main` (relative to the repo root, or absolute). */
  main?: string;
  /** TOML added at the end, e.g. `[[send_email]]\nname = "EMAIL"`. */
  append?: string;
};

export function writeTempConfig(dir: string, options: TempConfigOptions = {}): string {
  let toml = readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8");
  for (const key of ["main", "migrations_dir"]) {
    const line = new RegExp(`^(${key}\\s*=\\s*)"([^"]+)"`, "m");
    const found = line.exec(toml);
    // Loud, so a reshuffled wrangler.toml cannot silently leave a path pointing into the temp dir.
    if (!found) throw new Error(`wrangler.toml has no ${key} = "…" line to make absolute`);
    const value = key === "main" && options.main ? options.main : found[2]!;
    const absolute = isAbsolute(value) ? value : join(REPO_ROOT, value);
    toml = toml.replace(line, (_, prefix: string) => `${prefix}${JSON.stringify(absolute)}`);
  }
  if (options.append) toml += `\n${options.append.trim()}\n`;
  const path = join(dir, "wrangler.toml");
  writeFileSync(path, toml);
  return path;
}
