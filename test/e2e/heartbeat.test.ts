import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sh, startLifeboat, verifyWebhookSignature, type Lifeboat } from "../helpers/e2e";
import type { Recorded } from "../helpers/receiver";

/**
 * End to end: a real `wrangler dev` (workerd, local D1), the real curl and openssl binaries run
 * from POSIX sh, and a real HTTP receiver for webhooks. Nothing here reads the developer's
 * .dev.vars or .wrangler/state: state lives in a temp dir and secrets are passed with --var.
 */

const INBOX = "e2e";

let lifeboat: Lifeboat<true>;
let signingSecret: string;

beforeAll(async () => {
  lifeboat = await startLifeboat({
    prefix: "lifeboat-e2e-",
    withReceiver: true,
    testScheduled: true,
    vars: { ALLOW_INSECURE_CHANNELS: "true" },
  });
  const channel = await lifeboat.api("POST", "/api/v1/channels", {
    kind: "webhook",
    name: "e2e receiver",
    url: `${lifeboat.receiver.url}/hook/${INBOX}`,
  });
  if (channel.status !== 201) throw await lifeboat.serverError("create channel", channel);
  signingSecret = channel.body.signing_secret;
  expect(signingSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
});

afterAll(() => lifeboat?.stop());

// ---------------------------------------------------------------------------------------------

async function createCheck(fields: Record<string, unknown>) {
  const response = await lifeboat.api("POST", "/api/v1/checks", fields);
  if (response.status !== 201) throw await lifeboat.serverError("create check", response);
  return response.body;
}

const getCheck = async (id: string) => (await lifeboat.api("GET", `/api/v1/checks/${id}`)).body;
const getPings = async (id: string) => (await lifeboat.api("GET", `/api/v1/checks/${id}/pings`)).body.pings as any[];

async function inbox(): Promise<Recorded[]> {
  return (await fetch(`${lifeboat.receiver.url}/_requests/${INBOX}`)).json() as Promise<Recorded[]>;
}

async function webhookFor(checkUuid: string, event: string): Promise<Recorded> {
  return lifeboat.eventually(`webhook ${event} for ${checkUuid}`, async () =>
    (await inbox()).find((r) => {
      const body = JSON.parse(r.body);
      return body.event === event && body.check.uuid === checkUuid;
    }),
  );
}

// A wrong secret must not verify either: the signature check is not vacuous.
const verifyWebhook = (request: Recorded, secret: string) =>
  verifyWebhookSignature(request, secret, { wrongSecretFails: true });

// The healthchecks.io docs' one-liners, byte for byte; only URL differs.
const ONE_LINER = 'curl -fsS -m 10 --retry 5 -o /dev/null "$URL"';
const ONE_LINER_EXIT = 'false; curl -fsS -m 10 --retry 5 -o /dev/null "$URL/$?"';
const ONE_LINER_LOG = 'curl -fsS -m 10 --retry 5 --data-raw "some log" "$URL/log"';

// ---------------------------------------------------------------------------------------------

describe("healthchecks-compatible pings with the real curl", () => {
  it("runs the docs one-liners unchanged: success, exit status, log", async () => {
    const check = await createCheck({ name: "e2e cron job", period_s: 3600, grace_s: 300 });
    expect(check.status).toBe("new");
    const URL = check.ping_url;
    expect(URL).toBe(`${lifeboat.dev.url}/ping/${check.uuid}`);

    const ok = await sh(ONE_LINER, { URL });
    expect(ok, ok.stderr).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(await getCheck(check.uuid)).toMatchObject({ status: "up", status_reason: "ping", n_pings: 1 });

    // `false` leaves $?=1: the URL becomes /ping/<uuid>/1 and the check goes down.
    const failed = await sh(ONE_LINER_EXIT, { URL });
    expect(failed, failed.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(await getCheck(check.uuid)).toMatchObject({ status: "down", status_reason: "exit_status", n_pings: 2 });

    // /log records the body and changes nothing else. Without -o, curl prints the answer.
    const logged = await sh(ONE_LINER_LOG, { URL });
    expect(logged, logged.stderr).toMatchObject({ code: 0, stdout: "OK", stderr: "" });
    expect(await getCheck(check.uuid)).toMatchObject({ status: "down", status_reason: "exit_status", n_pings: 3 });

    // The same one-liner after a command that succeeded: /0 brings it back up.
    const recovered = await sh(`true; ${ONE_LINER.replace('"$URL"', '"$URL/$?"')}`, { URL });
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(await getCheck(check.uuid)).toMatchObject({ status: "up", status_reason: "ping", n_pings: 4 });

    const pings = await getPings(check.uuid); // newest first
    expect(pings.map((p) => [p.kind, p.exit_status, p.method, p.body])).toEqual([
      ["exit", 0, "GET", ""],
      ["log", null, "POST", "some log"],
      ["exit", 1, "GET", ""],
      ["success", null, "GET", ""],
    ]);
    for (const ping of pings) {
      expect(ping.source).toBe("url");
      expect(ping.key_id).toBeNull();
      expect(ping.user_agent).toMatch(/^curl\//);
    }

    // The exit-status flip alerted right away (waitUntil), and so did the recovery.
    verifyWebhook(await webhookFor(check.uuid, "check.down"), signingSecret);
    verifyWebhook(await webhookFor(check.uuid, "check.up"), signingSecret);
  });

  it("fails the one-liner loudly (curl -f exit 22) for an unknown uuid", async () => {
    const result = await sh(ONE_LINER, { URL: `${lifeboat.dev.url}/ping/00000000-0000-4000-8000-000000000000` });
    expect(result.code).toBe(22);
    expect(result.stderr).toMatch(/404/);
  });

  it("pings by slug and creates the check with ?create=1", async () => {
    const existing = await createCheck({ name: "e2e slug job", slug: "e2e-slug-job", period_s: 3600 });
    expect(existing.slug_ping_url).toMatch(new RegExp(`^${lifeboat.dev.url}/ping/[A-Za-z0-9_-]+/e2e-slug-job$`));
    const bySlug = await sh(ONE_LINER, { URL: existing.slug_ping_url });
    expect(bySlug.code, bySlug.stderr).toBe(0);
    expect(await getCheck("e2e-slug-job")).toMatchObject({ status: "up", n_pings: 1 });

    const base = existing.slug_ping_url.replace(/\/e2e-slug-job$/, "");
    const show = 'curl -sS -m 10 -w " %{http_code}" "$URL"';
    expect((await sh(show, { URL: `${base}/e2e-made-by-ping` })).stdout).toBe("not found 404");
    expect((await sh(show, { URL: `${base}/e2e-made-by-ping?create=1` })).stdout).toBe("Created 201");
    expect((await sh(show, { URL: `${base}/e2e-made-by-ping?create=1` })).stdout).toBe("OK 200");
    const created = await getCheck("e2e-made-by-ping");
    expect(created).toMatchObject({
      slug: "e2e-made-by-ping",
      status: "up",
      n_pings: 2,
      period_s: 86400,
      grace_s: 3600,
    });
    // A wrong ping key finds nothing, with or without create.
    expect((await sh(show, { URL: `${lifeboat.dev.url}/ping/not-the-key/e2e-made-by-ping?create=1` })).stdout).toBe(
      "not found 404",
    );
  });
});

describe("the clock: cron sweep and webhooks", () => {
  it("goes down by timeout at the scheduled time, alerts signed, and comes back up on the next ping", async () => {
    const check = await createCheck({ name: "e2e by the clock", period_s: 60, grace_s: 60 });
    const pinged = await sh(ONE_LINER, { URL: check.ping_url });
    expect(pinged.code, pinged.stderr).toBe(0);
    const up = await getCheck(check.uuid);
    expect(up.status).toBe("up");
    const alertAfter = Date.parse(up.alert_after);
    expect(alertAfter).toBeGreaterThan(Date.now());

    // Before the deadline the sweep changes nothing...
    const early = await fetch(
      `${lifeboat.dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${alertAfter - 1_000}`,
    );
    expect([early.status, await early.text()]).toEqual([200, "ok"]);
    expect((await getCheck(check.uuid)).status).toBe("up");

    // ...after it (`time` is unix milliseconds; it becomes controller.scheduledTime) the check is down.
    const sweepAt = alertAfter + 1_000;
    const late = await fetch(`${lifeboat.dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${sweepAt}`);
    expect([late.status, await late.text()]).toEqual([200, "ok"]);
    expect(await getCheck(check.uuid)).toMatchObject({ status: "down", status_reason: "timeout" });

    const down = await webhookFor(check.uuid, "check.down");
    verifyWebhook(down, signingSecret);
    expect(down.method).toBe("POST");
    expect(down.headers["content-type"]).toBe("application/json");
    expect(down.headers["x-lifeboat-event"]).toBe("check.down");
    // The sweep's clock is the scheduled time, so the webhook is stamped with it too.
    expect(down.headers["x-lifeboat-webhook-timestamp"]).toBe(String(Math.floor(sweepAt / 1000)));
    expect(JSON.parse(down.body)).toMatchObject({
      event: "check.down",
      // No PUBLIC_URL here: the sweep links to the origin the admin API was last reached on.
      check: {
        uuid: check.uuid,
        name: "e2e by the clock",
        slug: check.slug,
        // Alerts link the dashboard page (issue 14.11); the API document is a field of its own.
        url: `${lifeboat.dev.url}/admin/checks/${check.unique_key}`,
        api_url: `${lifeboat.dev.url}/api/v1/checks/${check.uuid}`,
      },
      status: "down",
      previous_status: "up",
      reason: "timeout",
      // Down since the deadline it missed, not since the sweep that noticed (issue 14, item 9).
      since: new Date(alertAfter).toISOString(),
    });

    // A rerun of the same minute sends nothing twice.
    const rerun = await fetch(`${lifeboat.dev.url}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${sweepAt}`);
    expect(rerun.status).toBe(200);

    // The next ping brings it up; the alert goes out from waitUntil, after curl got its answer.
    const again = await sh(ONE_LINER, { URL: check.ping_url });
    expect(again.code, again.stderr).toBe(0);
    expect(await getCheck(check.uuid)).toMatchObject({ status: "up", status_reason: "ping" });
    const upHook = await webhookFor(check.uuid, "check.up");
    verifyWebhook(upHook, signingSecret);
    expect(JSON.parse(upHook.body)).toMatchObject({
      event: "check.up",
      check: { uuid: check.uuid, url: `${lifeboat.dev.url}/admin/checks/${check.unique_key}` },
      status: "up",
      previous_status: "down",
      reason: "ping",
    });

    const mine = (await inbox()).filter((r) => JSON.parse(r.body).check.uuid === check.uuid);
    expect(mine.map((r) => JSON.parse(r.body).event)).toEqual(["check.down", "check.up"]);
    expect(new Set(mine.map((r) => r.headers["x-lifeboat-delivery"])).size).toBe(2);
  });
});

describe("signed agent ping from POSIX sh with openssl", () => {
  // What the `lifeboat` agent will do for a ping: sign METHOD, PATH?QUERY, TIMESTAMP, NONCE and
  // the body's sha256 with the key secret (32 raw bytes, given as hex), then send it with curl.
  // The headers go to a file so the test can replay the identical request afterwards.
  const SIGNED_PING = `
set -eu
path="/v1/ping/$SLUG"
body="$BODY"
ts=$(date +%s)
nonce=$(openssl rand -hex 16)
content_sha256=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)
signature=$(printf '%s\\n%s\\n%s\\n%s\\n%s' POST "$path" "$ts" "$nonce" "$content_sha256" |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$LIFEBOAT_SECRET" -r | cut -d' ' -f1)
cat > "$HEADERS" <<EOF
X-Lifeboat-Key: $LIFEBOAT_KEY
X-Lifeboat-Timestamp: $ts
X-Lifeboat-Nonce: $nonce
X-Lifeboat-Content-SHA256: $content_sha256
X-Lifeboat-Signature: $signature
EOF
curl -sS -m 10 -H @"$HEADERS" --data-binary "$body" -w ' %{http_code}' "$LIFEBOAT_URL$path"
`;
  const SEND_AGAIN = `curl -sS -m 10 -H @"$HEADERS" --data-binary "$BODY" -w ' %{http_code}' "$LIFEBOAT_URL/v1/ping/$SLUG"`;

  it("accepts the signed ping once and refuses the exact replay", async () => {
    const check = await createCheck({ name: "e2e agent", slug: "e2e-agent", period_s: 3600 });
    const created = await lifeboat.api("POST", "/api/v1/keys", {
      host: "e2e-host",
      checks: [check.slug],
      scopes: ["ping"],
    });
    if (created.status !== 201) throw await lifeboat.serverError("create key", created);
    const { key_id, secret } = created.body;
    expect(key_id).toMatch(/^lbk_[0-9a-f]{20}$/);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);

    const env = {
      LIFEBOAT_URL: lifeboat.dev.url,
      LIFEBOAT_KEY: key_id,
      LIFEBOAT_SECRET: secret,
      SLUG: check.slug,
      BODY: "backup ok: 42 files",
      HEADERS: join(lifeboat.dir, "signed-headers.txt"),
    };
    const first = await sh(SIGNED_PING, env);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const [firstBody, firstStatus] = splitStatus(first.stdout);
    expect(firstStatus).toBe(200);
    expect(JSON.parse(firstBody)).toEqual({ ok: true, check: "e2e-agent", status: "up" });

    const replay = await sh(SEND_AGAIN, env);
    const [replayBody, replayStatus] = splitStatus(replay.stdout);
    expect(replayStatus).toBe(401);
    expect(JSON.parse(replayBody).error.code).toBe("replayed_nonce");

    // Same signed headers, different body: the content hash no longer matches.
    const tampered = await sh(SEND_AGAIN, { ...env, BODY: "backup ok: 0 files" });
    const [tamperedBody, tamperedStatus] = splitStatus(tampered.stdout);
    expect(tamperedStatus).toBe(401);
    expect(JSON.parse(tamperedBody).error.code).toBe("bad_signature");

    // Exactly one ping was stored, from the first request.
    const pings = await getPings(check.uuid);
    expect(pings).toHaveLength(1);
    expect(pings[0]).toMatchObject({
      kind: "success",
      source: "signed",
      method: "POST",
      key_id,
      body: "backup ok: 42 files",
    });
    expect(await getCheck(check.uuid)).toMatchObject({ status: "up", n_pings: 1 });
  });
});

function splitStatus(output: string): [string, number] {
  const at = output.lastIndexOf(" ");
  return [output.slice(0, at), Number(output.slice(at + 1))];
}
