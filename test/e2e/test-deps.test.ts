import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/wrangler-dev";

/**
 * scripts/test-deps.sh, the `pretest` of `npm test` (issue 19). The real apt-get is not run here
 * (removing packages under other running tests would break them; that run is in the report): a stub
 * apt-get on PATH records what it was asked. Tools are made "missing" by running the script with a
 * PATH that holds only the few commands the script itself uses.
 */

const SCRIPT = join(REPO_ROOT, "scripts/test-deps.sh");
const asRoot = userInfo().uid === 0;

let dir: string;
let bareBin: string; // sh and the script's own helpers, plus the apt-get stub: every test tool is missing
let stubOnly: string; // only the apt-get stub, put in front of the real PATH
let aptLog: string;

function which(tool: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error(`${tool} not found`);
  return found;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lifeboat-test-deps-"));
  chmodSync(dir, 0o755); // `nobody` runs the stub and writes its log
  aptLog = join(dir, "apt-get.log");
  writeFileSync(aptLog, "");
  chmodSync(aptLog, 0o666);
  const stub = join(dir, "apt-get");
  writeFileSync(stub, `#!/bin/sh\necho "$*" >>${aptLog}\n`);
  chmodSync(stub, 0o755);
  bareBin = join(dir, "bare");
  stubOnly = join(dir, "stub");
  for (const bin of [bareBin, stubOnly]) {
    spawnSync("mkdir", ["-m", "755", bin]);
    symlinkSync(stub, join(bin, "apt-get"));
  }
  for (const tool of ["sh", "id", "env", "sort", "tr", "sed"]) symlinkSync(which(tool), join(bareBin, tool));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(path: string, options: { asNobody?: boolean } = {}) {
  const started = Date.now();
  const [file, args] = options.asNobody
    ? [which("setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", SCRIPT]]
    : ["/bin/sh", [SCRIPT]];
  const result = spawnSync(file, args, { encoding: "utf8", env: { PATH: path, LANG: "C" }, timeout: 30_000 });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout, ms: Date.now() - started };
}

const aptCalls = () => readFileSync(aptLog, "utf8").split("\n").filter(Boolean);

describe("scripts/test-deps.sh", () => {
  it("with every tool present it is silent, quick, and never calls apt-get (no update either)", () => {
    writeFileSync(aptLog, "");
    const result = run(`${stubOnly}:${process.env.PATH}`);
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe("");
    expect(aptCalls()).toEqual([]);
    expect(result.ms).toBeLessThan(2_000);
  });

  it.runIf(asRoot || spawnSync("sudo", ["-n", "true"]).status !== 0)(
    "without root or a passwordless sudo it prints the one apt-get line, exits non-zero, installs nothing",
    () => {
      writeFileSync(aptLog, "");
      const result = run(bareBin, { asNobody: asRoot });
      expect(result.status).not.toBe(0);
      const lines = result.stderr.split("\n").filter((line) => line.startsWith("apt-get "));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^apt-get install -y --no-install-recommends [a-z0-9 -]+$/);
      const packages = lines[0]!.split(" ").slice(4);
      for (const name of ["curl", "openssl", "coreutils", "shellcheck", "bats", "busybox", "restic", "rclone"])
        expect(packages).toContain(name);
      expect(new Set(packages).size).toBe(packages.length); // each package once
      expect(aptCalls()).toEqual([]);
    },
  );

  it.runIf(asRoot)("as root it runs apt-get update, then one install of exactly the missing packages", () => {
    writeFileSync(aptLog, "");
    const result = run(bareBin);
    const [update, install, ...rest] = aptCalls();
    expect(update).toBe("update -q");
    expect(install).toMatch(/^install -y -q --no-install-recommends .*\bshellcheck\b.*$/);
    expect(rest).toEqual([]);
    // The stub installs nothing, so the script must notice and refuse to let the tests start.
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("still missing after apt-get install");
  });
});
