import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/helpers/wrangler-dev.ts";

/** What every bench/out/*.json records about the machine, so a figure can be read against its load. */
export function machineInfo(loadBefore) {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? null,
    mem_total_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavg_before: loadBefore,
    loadavg_after: os.loadavg(),
    node: process.version,
    wrangler: JSON.parse(readFileSync(join(REPO_ROOT, "node_modules/wrangler/package.json"), "utf8")).version,
  };
}

/** Writes bench/out/NAME.json and says so. */
export function writeBenchOutput(name, out) {
  mkdirSync(join(REPO_ROOT, "bench/out"), { recursive: true });
  writeFileSync(join(REPO_ROOT, `bench/out/${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote bench/out/${name}.json`);
}
