import { execFile } from "node:child_process";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { startReceiver, type Recorded } from "./receiver";
import { applyMigrations, groupMembers, startWranglerDev, type DevServer } from "./wrangler-dev";

/**
 * The harness the end-to-end tests share: a throwaway `wrangler dev` in a temp dir with fresh
 * secrets, an admin API client for it, and the shell and polling helpers every test drives it with.
 * Nothing here reads the developer's .dev.vars or .wrangler/state: state lives in the temp dir and
 * secrets are passed with --var. Vitest only (it asserts with expect), unlike wrangler-dev.ts.
 */

export type Receiver = { url: string; server: Server };

export type LifeboatOptions<WithReceiver extends boolean> = {
  /** mkdtemp prefix under os.tmpdir(), so a leftover dir says which test left it. */
  prefix: string;
  /** Writes the wrangler config into the fresh dir (default: the repo's wrangler.toml). */
  config?: (dir: string) => string | Promise<string>;
  /** --var bindings besides ADMIN_TOKEN and LIFEBOAT_MASTER_KEY, which are always fresh and random. */
  vars?: Record<string, string>;
  testScheduled?: boolean;
  /** Starts the local HTTP receiver (receiver.ts) for channels to post to. */
  withReceiver?: WithReceiver;
  /**
   * Starts wrangler with TMPDIR inside the dir: miniflare keeps scratch files (and a copy of each
   * sent email) under os.tmpdir() and does not remove them when killed, so stop()'s rmSync takes them too.
   */
  tmpdirInside?: boolean;
};

export type ApiResponse = { status: number; body: any };

export type Lifeboat<WithReceiver extends boolean = false> = {
  dev: DevServer;
  /** The temp dir: state, config, env file; removed by stop(). */
  dir: string;
  receiver: WithReceiver extends true ? Receiver : undefined;
  /** An admin API call with the bearer token; the body is parsed JSON, or the text if it is not JSON. */
  api: (method: string, path: string, body?: unknown) => Promise<ApiResponse>;
  /** A failed setup call, with what the Worker logged (a 500's stack is only in wrangler's output). */
  serverError: (what: string, response: { status: number; body: unknown }) => Promise<Error>;
  /** Polls until `probe` returns something truthy; on timeout fails with the tail of wrangler's log. */
  eventually: <T>(
    what: string | (() => string),
    probe: () => Promise<T | undefined | null | false>,
    timeoutMs?: number,
  ) => Promise<T>;
  /** Stops wrangler, closes the receiver, removes the dir, and asserts nothing of wrangler is left. */
  stop: () => Promise<void>;
};

export async function startLifeboat<WithReceiver extends boolean = false>(
  options: LifeboatOptions<WithReceiver>,
): Promise<Lifeboat<WithReceiver>> {
  const adminToken = randomBytes(24).toString("hex");
  const masterKey = randomBytes(32).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  let receiver: Receiver | undefined;
  let dev: DevServer;
  try {
    const persistTo = join(dir, "state");
    const envFile = join(dir, "empty.env"); // replaces .dev.vars: wrangler reads no .dev.vars with --env-file
    writeFileSync(envFile, "");
    const config = await options.config?.(dir);
    if (options.withReceiver) receiver = await startReceiver();
    await applyMigrations(persistTo, config);
    // wrangler's environment is a copy of process.env taken when it is spawned, so TMPDIR need only
    // be set around the start; restoring it keeps this process's own temp files where they were.
    const tmpBefore = process.env.TMPDIR;
    if (options.tmpdirInside) process.env.TMPDIR = dir;
    try {
      dev = await startWranglerDev({
        config,
        persistTo,
        envFile,
        testScheduled: options.testScheduled,
        vars: { ADMIN_TOKEN: adminToken, LIFEBOAT_MASTER_KEY: masterKey, ...options.vars },
      });
    } finally {
      if (tmpBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpBefore;
    }
  } catch (error) {
    // The caller gets no handle to stop, so nothing made so far may outlive this failure.
    await closeReceiver(receiver);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const api = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const response = await fetch(`${dev.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text for the error message */
    }
    return { status: response.status, body: parsed as any };
  };

  const serverError = async (what: string, response: { status: number; body: unknown }) => {
    await new Promise((r) => setTimeout(r, 500)); // the Worker's console output reaches wrangler a moment later
    return new Error(
      `${what}: HTTP ${response.status} ${JSON.stringify(response.body)}\n--- wrangler ---\n${dev.logs().slice(-4000)}`,
    );
  };

  const eventually = async <T>(
    what: string | (() => string),
    probe: () => Promise<T | undefined | null | false>,
    timeoutMs = 10_000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}\n--- wrangler ---\n${dev.logs().slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async () => {
    const pid = dev.pid;
    await dev.stop();
    await closeReceiver(receiver);
    rmSync(dir, { recursive: true, force: true });
    // wrangler, its node child and both workerd processes shared one process group: none may be left.
    expect(groupMembers(pid)).toEqual([]);
  };

  return {
    dev,
    dir,
    receiver: receiver as Lifeboat<WithReceiver>["receiver"],
    api,
    serverError,
    eventually,
    stop,
  };
}

function closeReceiver(receiver: Receiver | undefined): Promise<void> {
  return new Promise<void>((done) => {
    if (!receiver) return done();
    receiver.server.closeAllConnections();
    receiver.server.close(() => done());
  });
}

export type ShResult = { code: number; stdout: string; stderr: string };

/** Runs a POSIX sh snippet (dash here) with extra environment; never throws on a non-zero exit. */
export function sh(script: string, env: Record<string, string> = {}): Promise<ShResult> {
  return new Promise((done) => {
    execFile("sh", ["-c", script], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

export type SignatureChecks = {
  /** Also require the timestamp within this many seconds of now (not for alerts stamped with a sweep's clock). */
  maxAgeS?: number;
  /** Also show that a wrong secret would not verify, so the HMAC comparison is not vacuous. */
  wrongSecretFails?: boolean;
};

/**
 * What a receiver does (docs/WEBHOOKS.md): HMAC-SHA256 over "<timestamp>.<raw body>" keyed with the
 * channel's signing secret, compared in constant time with X-Lifeboat-Webhook-Signature.
 */
export function verifyWebhookSignature(request: Recorded, secret: string, checks: SignatureChecks = {}) {
  const timestamp = request.headers["x-lifeboat-webhook-timestamp"]!;
  const signature = request.headers["x-lifeboat-webhook-signature"]!;
  expect(timestamp).toMatch(/^\d+$/);
  if (checks.maxAgeS !== undefined)
    expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(checks.maxAgeS);
  expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
  const expected = `sha256=${createHmac("sha256", Buffer.from(secret, "utf8")).update(`${timestamp}.${request.body}`).digest("hex")}`;
  expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
  if (checks.wrongSecretFails) {
    const forged = `sha256=${createHmac("sha256", "whsec_wrong").update(`${timestamp}.${request.body}`).digest("hex")}`;
    expect(signature).not.toBe(forged);
  }
}
