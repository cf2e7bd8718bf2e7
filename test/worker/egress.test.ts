import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { egressProblem } from "../../worker/domain/egress";
import worker from "../../worker/index";
import { ADMIN, BASE, call, json, tableCounts } from "../helpers/api";

// Issue 13.8: where channels may send. The vitest config sets ALLOW_INSECURE_CHANNELS=true so the
// local receivers work; these tests turn it off explicitly, as it is in production.

const receiver = inject("receiverUrl");
const BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

/** The Worker with ALLOW_INSECURE_CHANNELS as in production (unset). */
async function callStrict(method: string, path: string, body?: unknown) {
  const strictEnv = { ...env, ALLOW_INSECURE_CHANNELS: undefined };
  const ctx = createExecutionContext();
  const request = new Request(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const response = await worker.fetch(request, strictEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const received = async (inbox: string): Promise<any[]> => (await fetch(`${receiver}/_requests/${inbox}`)).json();
const control = (inbox: string, how: Record<string, unknown>) =>
  fetch(`${receiver}/_control/${inbox}`, { method: "PUT", body: JSON.stringify(how) });

// The URLs of issue 13, finding 8, and their relatives in other notations.
const INTERNAL = [
  "https://127.0.0.1/hook",
  "https://localhost/hook",
  "https://[::1]/hook",
  "https://0x7f000001/hook",
  "https://2130706433/hook",
  "https://0177.0.0.1/hook",
  "https://127.1/hook",
  "https://10.0.0.1/hook",
  "https://172.16.5.4/hook",
  "https://192.168.1.1/hook",
  "https://100.64.0.1/hook",
  "https://169.254.169.254/latest/meta-data/",
  "https://[fe80::1]/hook",
  "https://[fd00:ec2::254]/hook",
  "https://[::ffff:127.0.0.1]/hook",
  "https://[::]/hook",
  "https://0.0.0.0/hook",
  "https://224.0.0.1/hook",
  "https://255.255.255.255/hook",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://api.localhost/hook",
  "https://printer.local/hook",
  "https://user:pass@hooks.example.com/hook",
];

describe("egressProblem (pure)", () => {
  it.each([
    // IPv4 loopback in every notation the URL parser accepts
    ["https://127.0.0.1/", "loopback"],
    ["https://2130706433/", "loopback"],
    ["https://0x7f000001/", "loopback"],
    ["https://0x7f.0x0.0x0.0x1/", "loopback"],
    ["https://017700000001/", "loopback"],
    ["https://0177.0.0.1/", "loopback"],
    ["https://127.1/", "loopback"],
    ["https://127.0.1/", "loopback"],
    ["https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/", "loopback"], // full-width digits
    ["https://127.0.0.1.:443/", "loopback"],
    // private, CGNAT, link-local, metadata, unspecified, multicast, broadcast, reserved
    ["https://10.1.2.3/", "private"],
    ["https://172.16.0.1/", "private"],
    ["https://172.31.255.255/", "private"],
    ["https://192.168.0.1/", "private"],
    ["https://100.64.0.1/", "carrier-grade NAT"],
    ["https://100.100.100.200/", "carrier-grade NAT"], // Alibaba's metadata service
    ["https://169.254.169.254/", "link-local"],
    ["https://168.63.129.16/", "metadata"],
    ["https://0.0.0.0/", "unspecified"],
    ["https://0/", "unspecified"],
    ["https://224.0.0.251/", "multicast"],
    ["https://239.255.255.250/", "multicast"],
    ["https://255.255.255.255/", "broadcast"],
    ["https://198.18.0.1/", "benchmarking"],
    // IPv6, and IPv4 inside IPv6
    ["https://[::1]/", "loopback"],
    ["https://[0:0:0:0:0:0:0:1]/", "loopback"],
    ["https://[::]/", "unspecified"],
    ["https://[fe80::1]/", "link-local"],
    ["https://[febf:ffff::1]/", "link-local"],
    ["https://[fc00::1]/", "unique local"],
    ["https://[fd00:ec2::254]/", "unique local"], // AWS's IPv6 metadata address
    ["https://[ff02::1]/", "multicast"],
    ["https://[::ffff:127.0.0.1]/", "loopback (IPv4 inside IPv6)"],
    ["https://[::ffff:7f00:1]/", "loopback (IPv4 inside IPv6)"],
    ["https://[0:0:0:0:0:ffff:a9fe:a9fe]/", "link-local (cloud metadata) (IPv4 inside IPv6)"],
    ["https://[::127.0.0.1]/", "IPv4 inside IPv6"],
    ["https://[64:ff9b::a9fe:a9fe]/", "IPv4 inside IPv6"], // NAT64 of 169.254.169.254
    ["https://[2002:c0a8:101::]/", "IPv4 inside IPv6"], // 6to4 of 192.168.1.1
    ["https://[2001:db8::1]/", "documentation"],
    // internal names
    ["https://localhost/", "internal name"],
    ["https://LOCALHOST./", "internal name"],
    ["https://api.localhost/", "internal name"],
    ["https://printer.local/", "internal name"],
    ["https://metadata.google.internal/", "internal name"],
    ["https://ip-10-0-0-1.ec2.internal/", "internal name"],
    ["https://router.home.arpa/", "internal name"],
    ["https://nas.lan/", "internal name"],
    ["https://metadata/", "single-label"],
    ["https://instance-data/", "single-label"],
    // userinfo, scheme
    ["https://user:pass@hooks.example.com/", "user name or password"],
    ["https://user@hooks.example.com/", "user name or password"],
    ["https://:secret@hooks.example.com/", "user name or password"],
    ["http://hooks.example.com/", "https://"],
    ["ftp://hooks.example.com/", "http(s)"],
    ["not a url", "not a valid URL"],
  ])("refuses %s (%s)", (url, why) => {
    expect(egressProblem(url, false)).toContain(why);
  });

  it.each([
    "https://hooks.slack.com/services/T000/B000/XXXX",
    "https://api.telegram.org",
    "https://ntfy.sh",
    "https://events.eu.pagerduty.com/v2/enqueue",
    "https://hooks.example.com:8443/lifeboat?x=1",
    "https://localhost.example.com/",
    "https://internal.example.com/",
    "https://8.8.8.8/",
    "https://172.32.0.1/",
    "https://100.128.0.1/",
    "https://169.255.0.1/",
    "https://[2001:4860:4860::8888]/",
    "https://[2606:4700::1111]/",
  ])("allows %s", (url) => {
    expect(egressProblem(url, false)).toBeNull();
  });

  it("ALLOW_INSECURE_CHANNELS=true allows http and local receivers (development and tests only)", () => {
    expect(egressProblem("http://127.0.0.1:8080/hook", true)).toBeNull();
    expect(egressProblem("https://user:pass@localhost/", true)).toBeNull();
    expect(egressProblem("ftp://example.com/", true)).toContain("http(s)");
  });
});

describe("channel URLs with ALLOW_INSECURE_CHANNELS off", () => {
  it.each(INTERNAL)("refuses %s with a 400 that says why, and writes nothing", async (url) => {
    const before = await tableCounts();
    const response = await callStrict("POST", "/api/v1/channels", { kind: "webhook", url });
    expect(response.status).toBe(400);
    const body = await response.json<any>();
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details[0].field).toBe("config.url");
    expect(await tableCounts()).toEqual(before);
  });

  it("refuses an internal api_url on a Telegram channel and an ntfy server, create and update alike", async () => {
    const telegram = await callStrict("POST", "/api/v1/channels", {
      kind: "telegram",
      config: { bot_token: BOT_TOKEN, chat_id: "42", api_url: "https://169.254.169.254" },
    });
    expect(telegram.status).toBe(400);
    expect((await telegram.json<any>()).error.details[0].field).toBe("config.api_url");

    const ntfy = await json(callStrict("POST", "/api/v1/channels", { kind: "ntfy", config: { topic: "alerts" } }));
    const moved = await callStrict("PATCH", `/api/v1/channels/${ntfy.uuid}`, {
      config: { topic: "alerts", server: "https://[::ffff:10.0.0.1]" },
    });
    expect(moved.status).toBe(400);
    expect((await json(call("GET", `/api/v1/channels/${ntfy.uuid}`))).config.server).toBe("https://ntfy.sh");
  });

  it("accepts public https URLs", async () => {
    for (const url of ["https://hooks.example.com/lifeboat", "https://8.8.8.8/hook", "https://[2606:4700::1111]/x"]) {
      const response = await callStrict("POST", "/api/v1/channels", { kind: "webhook", url });
      expect(response.status, url).toBe(201);
    }
  });

  it("a stored channel whose URL is internal is refused at send time too, without a request", async () => {
    // Stored while the flag was on (or before these rules existed).
    const inbox = "egress-stored";
    const ch = await json(
      call("POST", "/api/v1/channels", { body: { kind: "webhook", url: `${receiver}/hook/${inbox}` } }),
    );
    const result = await json(callStrict("POST", `/api/v1/channels/${ch.uuid}/test`));
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/refused.*https/);
    expect(await received(inbox)).toEqual([]);
  });
});

describe("delivery", () => {
  it("never follows a redirect: a 3xx is a failure that names the Location", async () => {
    const inbox = "egress-redirect";
    const target = "egress-redirect-target";
    await control(inbox, { status: 302, location: `${receiver}/hook/${target}` });
    const ch = await json(
      call("POST", "/api/v1/channels", { body: { kind: "webhook", url: `${receiver}/hook/${inbox}` } }),
    );
    const result = await json(call("POST", `/api/v1/channels/${ch.uuid}/test`));
    expect(result).toMatchObject({ ok: false, status: 302 });
    expect(result.error).toContain(`${receiver}/hook/${target}`);
    expect(result.error).toContain("redirect");
    expect(await received(inbox)).toHaveLength(1);
    expect(await received(target)).toEqual([]);
  });

  it("echoes at most a short excerpt of the receiver's answer, without control characters", async () => {
    const inbox = "egress-long-answer";
    const answer = `\u001b[31mboom\u0000\u0007 ${"internal stack trace line\n".repeat(400)}`;
    await control(inbox, { status: 500, body: answer });
    const ch = await json(
      call("POST", "/api/v1/channels", { body: { kind: "webhook", url: `${receiver}/hook/${inbox}` } }),
    );
    const result = await json(call("POST", `/api/v1/channels/${ch.uuid}/test`));
    expect(result.ok).toBe(false);
    expect(result.error).toContain("HTTP 500");
    expect(result.error).toContain("boom");
    expect(result.error.length).toBeLessThanOrEqual(260);
    expect(result.error).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});
