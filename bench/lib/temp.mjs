import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

/**
 * A temp dir for a benchmark's gigabytes that goes whatever happens: on exit, on failure and on
 * Ctrl-C. process.exit() from a signal handler runs the exit handlers: this one (with `onExit`
 * first, e.g. killing the benchmark's children), and wrangler-dev.ts's, which kills the dev servers.
 */
export function benchTempDir(prefix, onExit = () => {}) {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  process.on("exit", () => {
    onExit();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const [signal, number] of [
    ["SIGINT", 2],
    ["SIGTERM", 15],
    ["SIGHUP", 1],
  ]) {
    process.once(signal, () => {
      console.error(`\n${signal}: removing ${dir} and stopping the servers`);
      process.exit(128 + number);
    });
  }
  return dir;
}
