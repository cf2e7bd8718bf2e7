import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLifeboat, type Lifeboat, type ShResult } from "../helpers/e2e";
import { frozenWorkerConfig } from "../helpers/frozen-worker";
import { groupMembers, REPO_ROOT } from "../helpers/wrangler-dev";

/**
 * A 300 MB backup through a real `wrangler dev`, sent the way the `lifeboat` agent will send it:
 * POSIX sh, `split`, openssl for every hash and signature, curl for every request
 * (test/helpers/agent-sign.sh). One part upload is killed with SIGKILL halfway; the server must
 * keep nothing of it, and the resumed upload sends exactly the parts it still lists as missing.
 * A part whose bytes are not the ones its signed sha256 names is refused by R2's own check.
 * The download, whole and in ranges across part boundaries, must be the original bytes.
 */

const MiB = 1024 * 1024;
const PART_SIZE = 64 * MiB;
const SIZE = 300 * MiB; // 4 full parts and one of 44 MiB
const PARTS = Math.ceil(SIZE / PART_SIZE);
const KILLED = 2; // the part whose upload is killed
const SIGN = join(REPO_ROOT, "test/helpers/agent-sign.sh");

let lifeboat: Lifeboat;
let work: string;
let agentEnv: Record<string, string>;
let backupId: string;
let artifactSha: string;

beforeAll(async () => {
  lifeboat = await startLifeboat({
    prefix: "lifeboat-e2e-backups-",
    // A snapshot of the Worker: an edit under worker/ while this runs would otherwise make wrangler
    // restart it and fail the part upload in flight (503 "Your worker restarted mid-request").
    config: (dir) => frozenWorkerConfig(join(dir, "worker")),
    tmpdirInside: true,
  });
  work = join(lifeboat.dir, "work");

  const check = await lifeboat.api("POST", "/api/v1/checks", {
    name: "e2e nightly dump",
    slug: "e2e-dump",
    kind: "backup",
    period_s: 86400,
  });
  if (check.status !== 201) throw await lifeboat.serverError("create check", check);
  const key = await lifeboat.api("POST", "/api/v1/keys", {
    host: "e2e-vps",
    checks: ["e2e-dump"],
    scopes: ["upload", "read"],
  });
  if (key.status !== 201) throw await lifeboat.serverError("create key", key);
  agentEnv = { LIFEBOAT_URL: lifeboat.dev.url, LIFEBOAT_KEY: key.body.key_id, LIFEBOAT_SECRET: key.body.secret };

  // Random bytes: incompressible, and no two parts alike, so nothing is deduplicated by accident.
  const made = await sh(`
    mkdir -p "$WORK" && cd "$WORK"
    head -c ${SIZE} /dev/urandom > artifact
    split -a 3 -b ${PART_SIZE / MiB}m artifact part.
    sha256sum artifact | cut -d' ' -f1
  `);
  expect(made, made.stderr).toMatchObject({ code: 0, stderr: "" });
  artifactSha = made.stdout.trim();
  expect(artifactSha).toMatch(/^[0-9a-f]{64}$/);
});

afterAll(async () => {
  for (const pgid of scripts) killGroup(pgid);
  await lifeboat?.stop();
  for (const pgid of scripts) expect(groupMembers(pgid), "a curl outlived its script").toEqual([]);
});

// ---------------------------------------------------------------------------------------------

/** Process groups of the sh scripts, so a script's background curl can never outlive the test. */
const scripts = new Set<number>();

function killGroup(pgid: number) {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/**
 * Runs a POSIX sh (dash) script in the work dir with the signing helpers sourced and the agent's
 * key in the environment; `set -eu` like the agent. The script gets its own process group: on a
 * timeout the whole group is killed, curl included (execFile's timeout would only kill sh).
 */
function sh(script: string, timeoutMs = 60_000): Promise<ShResult> {
  return new Promise((done) => {
    const child = spawn("sh", ["-c", `set -eu\n. "${SIGN}"\n${script}`], {
      cwd: lifeboat.dir,
      env: { ...process.env, ...agentEnv, WORK: work },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    scripts.add(child.pid!);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      killGroup(child.pid!);
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Splits the helpers' "answer, newline, HTTP status" output. */
function answer(result: ShResult): { status: number; body: any } {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const at = result.stdout.lastIndexOf("\n");
  const text = result.stdout.slice(0, at);
  return { status: Number(result.stdout.slice(at + 1)), body: text.startsWith("{") ? JSON.parse(text) : text };
}

async function status(): Promise<{ status: string; missing: number[] }> {
  const got = answer(await sh(`lb_json GET "/v1/backups/${backupId}"`));
  expect(got.status).toBe(200);
  return got.body;
}

async function storedBytes(): Promise<number> {
  const storage = await lifeboat.api("GET", "/api/v1/storage");
  expect(storage.status).toBe(200);
  return storage.body.checks.find((c: { slug: string }) => c.slug === "e2e-dump").stored_bytes;
}

// ---------------------------------------------------------------------------------------------

describe("a 300 MB backup from sh: split, signed, killed mid-part, resumed, restored", () => {
  it("announces the manifest built by sh: every part missing", async () => {
    const created = answer(
      await sh(`
        cd "$WORK"
        size=$(wc -c < artifact | tr -d ' ')
        manifest=$(lb_manifest e2e-dump ${PART_SIZE} "$size" "$(lb_sha256 artifact)" part.*)
        lb_json POST /v1/backups "$manifest"
      `),
    );
    expect(created.status).toBe(201);
    expect(created.body.missing).toEqual([0, 1, 2, 3, 4]);
    backupId = created.body.id;
    expect(backupId).toMatch(/^bk_[0-9a-f]{20}$/);
    expect(await status()).toMatchObject({ status: "uploading", size: SIZE, sha256: artifactSha, parts: PARTS });
  });

  it("keeps nothing of a part whose curl was killed mid-body", async () => {
    // Parts 0 and 1 go through whole, as the agent's loop would send them.
    const first = await sh(`
      cd "$WORK"
      lb_put_part "${backupId}" 0 part.aaa
      echo
      lb_put_part "${backupId}" 1 part.aab
    `);
    expect(first, first.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout.split("\n")).toEqual([
      JSON.stringify({ index: 0, stored: true, already_stored: false }),
      "201",
      JSON.stringify({ index: 1, stored: true, already_stored: false }),
      "201",
    ]);

    // Part 2: curl itself in the background (not a function's subshell, so $! is curl), slowed to
    // 16 MB/s so the kill lands mid-body whatever the machine; SIGKILL once it has read 4 MiB of
    // the file. rchar in /proc/<pid>/io counts what curl read() from the part file.
    const killed = await sh(`
      cd "$WORK"
      lb_sign PUT "/v1/backups/${backupId}/parts/${KILLED}" "$(lb_sha256 part.aac)"
      lb_headers headers.txt
      curl -sS -H @headers.txt -T part.aac --limit-rate 16M -o /dev/null \\
        "$LIFEBOAT_URL/v1/backups/${backupId}/parts/${KILLED}" &
      pid=$!
      while :; do
        got=$(awk '$1 == "rchar:" { print $2 }' "/proc/$pid/io" 2>/dev/null) || got=
        if [ -z "$got" ]; then echo "curl ended before it was killed" >&2; exit 1; fi
        if [ "$got" -ge ${4 * MiB} ]; then break; fi
        sleep 0.02
      done
      kill -9 "$pid"
      code=0
      { wait "$pid" || code=$?; } 2>/dev/null # dash reports the job as "Killed"; the code says it
      echo "$got $code"
    `);
    expect(killed, killed.stderr).toMatchObject({ code: 0, stderr: "" });
    const [readBytes, curlExit] = killed.stdout.trim().split(" ").map(Number);
    expect(curlExit).toBe(128 + 9); // died of SIGKILL, not of having finished
    expect(readBytes).toBeGreaterThanOrEqual(4 * MiB);
    expect(readBytes).toBeLessThan(PART_SIZE / 2);

    // Wait until the dev server has seen the request end (it logs the broken PUT), so the checks
    // below see the state after the Worker gave up on it, not a request still in flight.
    await lifeboat.eventually(
      "wrangler to log the killed PUT",
      async () => lifeboat.dev.logs().includes(`/v1/backups/${backupId}/parts/${KILLED}`),
      15_000,
    );

    expect(await status()).toMatchObject({ status: "uploading", missing: [2, 3, 4] });
    expect(await storedBytes()).toBe(2 * PART_SIZE); // parts 0 and 1; not a byte of part 2 counted
    // Completing now is refused, naming what is missing.
    const early = answer(await sh(`lb_json POST "/v1/backups/${backupId}/complete"`));
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: "conflict" });
    expect(early.body.error.message).toMatch(/3 part\(s\) missing: 2, 3, 4/);
  });

  it("refuses a part whose bytes are not the ones hashed (file changed since): R2 stores nothing", async () => {
    // Part 3's bytes sent as part 2, signed with part 2's sha256: same size, so only R2's own sha256
    // check on the streamed body can tell. The signature is valid, so this is what a file rewritten
    // between hashing and sending looks like.
    const swapped = answer(
      await sh(`
        cd "$WORK"
        lb_sign PUT "/v1/backups/${backupId}/parts/${KILLED}" "$(lb_sha256 part.aac)"
        lb_curl -T part.aad -w '\\n%{http_code}' "$LIFEBOAT_URL/v1/backups/${backupId}/parts/${KILLED}"
      `),
    );
    expect(swapped.status).toBe(400);
    expect(swapped.body.error.message).toBe(`part ${KILLED} does not match its sha256: nothing was stored`);
    expect(await status()).toMatchObject({ missing: [2, 3, 4] });
    expect(await storedBytes()).toBe(2 * PART_SIZE);
  });

  it("resumes by sending exactly the parts the server lists as missing, then completes", async () => {
    // What the agent does after a crash: ask, then send only the missing parts (JSON parsed with
    // sed, as a POSIX sh agent without jq must).
    const resumed = await sh(`
      cd "$WORK"
      missing=$(lb_json GET "/v1/backups/${backupId}" | head -n 1 |
        sed -n 's/.*"missing":\\[\\([0-9,]*\\)\\].*/\\1/p' | tr ',' ' ')
      set -- part.*
      i=0
      for file in "$@"; do
        for m in $missing; do
          if [ "$m" = "$i" ]; then
            printf 'part %s: ' "$i"
            lb_put_part "${backupId}" "$i" "$file" | tr '\\n' ' '
            echo
          fi
        done
        i=$((i + 1))
      done
      lb_json POST "/v1/backups/${backupId}/complete"
    `);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const lines = resumed.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual(
      [2, 3, 4].map((i) => `part ${i}: ${JSON.stringify({ index: i, stored: true, already_stored: false })} 201`),
    );
    const completed = answer({ ...resumed, stdout: lines.slice(3).join("\n") });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ id: backupId, status: "complete", size: SIZE, sha256: artifactSha });
    expect(await storedBytes()).toBe(SIZE);
    expect(await status()).toMatchObject({ status: "complete", missing: [] });
  });

  it("downloads the whole artifact with curl: the same sha256 as the original", async () => {
    const got = await sh(`
      cd "$WORK"
      lb_download "${backupId}" restored > headers.txt
      sha256sum restored | cut -d' ' -f1
      wc -c < restored | tr -d ' '
      rm -f restored
      cat headers.txt
    `);
    expect(got, got.stderr).toMatchObject({ code: 0, stderr: "" });
    const [sha, size, ...headerLines] = got.stdout.split("\n");
    expect(sha).toBe(artifactSha);
    expect(Number(size)).toBe(SIZE);
    const headers = headerLines.join("\n");
    expect(headers).toMatch(/^HTTP\/1\.1 200 /);
    expect(headers).toMatch(new RegExp(`^content-length: ${SIZE}\\r?$`, "im"));
    expect(headers).toMatch(new RegExp(`^x-lifeboat-sha256: ${artifactSha}\\r?$`, "im"));
    expect(headers.trim().split("\n").at(-1)).toBe("200");
  });

  it("serves byte ranges across part boundaries, equal to dd of the original", async () => {
    const ranges = [
      // 2 KiB across the 0|1 boundary, byte-exact offsets (dd bs=1).
      { start: PART_SIZE - 800, end: PART_SIZE + 1247, bs: 1 },
      // 1 MiB across the 1|2 boundary.
      { start: 2 * PART_SIZE - 512 * 1024, end: 2 * PART_SIZE + 512 * 1024 - 1, bs: 65536 },
      // Open-ended from 64 KiB before the last part to the end of the file (44 MiB + 64 KiB).
      { start: 4 * PART_SIZE - 65536, end: undefined, bs: 65536 },
    ];
    for (const { start, end, bs } of ranges) {
      const last = end ?? SIZE - 1;
      const length = last - start + 1;
      const got = await sh(`
        cd "$WORK"
        lb_download "${backupId}" slice "${start}-${end ?? ""}" > headers.txt
        dd if=artifact of=expected bs=${bs} skip=${start / bs} count=${length / bs} 2>/dev/null
        cmp slice expected && echo same
        wc -c < slice | tr -d ' '
        rm -f slice expected
        cat headers.txt
      `);
      expect(got, got.stderr).toMatchObject({ code: 0, stderr: "" });
      const [same, size, ...headerLines] = got.stdout.split("\n");
      expect(same, `range ${start}-${end ?? ""}`).toBe("same");
      expect(Number(size)).toBe(length);
      const headers = headerLines.join("\n");
      expect(headers).toMatch(/^HTTP\/1\.1 206 /);
      expect(headers).toMatch(new RegExp(`^content-range: bytes ${start}-${last}/${SIZE}\\r?$`, "im"));
      expect(headers.trim().split("\n").at(-1)).toBe("206");
    }

    const beyond = await sh(`lb_download "${backupId}" /dev/null "${SIZE}-"`);
    expect(beyond.stdout).toMatch(new RegExp(`^content-range: bytes \\*/${SIZE}\\r?$`, "im"));
    expect(beyond.stdout.trim().split("\n").at(-1)).toBe("416");
  });
});
