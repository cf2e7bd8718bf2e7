import { describe, expect, it } from "vitest";
import { metricFamilies } from "../../worker/domain/metrics";
import { renderExposition } from "../../worker/domain/prometheus";
import { createAgentKey, signedJson } from "../helpers/agent";
import { call, READER } from "../helpers/api";
import { bytesOf, uploadBackup } from "../helpers/backups";

// One sample line of the text format: name, optional {labels}, a value.
const SAMPLE = /^[a-z_:][a-z0-9_:]*(\{([a-z_]+="(?:[^"\\\n]|\\\\|\\"|\\n)*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/i;

/** name{labels} → value, from the exposition text. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("#")) continue;
    expect(line).toMatch(SAMPLE);
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

function valueOf(samples: Map<string, number>, name: string, check: string): number | undefined {
  for (const [key, value] of samples) {
    if (key.startsWith(`${name}{`) && key.includes(`check="${check}"`)) return value;
  }
  return undefined;
}

async function scrape(token: string | null = READER) {
  const response = await call("GET", "/metrics", { token });
  return { response, text: await response.text() };
}

describe("/metrics", () => {
  it("needs one of the admin tokens, and the read-only one is enough", async () => {
    const anonymous = await scrape(null);
    expect(anonymous.response.status).toBe(401);
    expect(JSON.parse(anonymous.text).error.code).toBe("unauthorized");
    expect((await scrape("not-the-token")).response.status).toBe(401);
    const { response } = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  it("reports state, pings, the newest good backup and the newest drill of each check", async () => {
    await call("POST", "/api/v1/checks", { body: { name: "web", slug: "web", period_s: 60, grace_s: 60 } });
    await call("POST", "/api/v1/checks", { body: { name: "idle", slug: "idle", period_s: 60, grace_s: 60 } });
    await call("POST", "/api/v1/checks", {
      body: { name: "db", slug: "db", kind: "backup", period_s: 86400, grace_s: 3600 },
    });
    const web = await (await call("GET", "/api/v1/checks/web")).json<{ uuid: string }>();
    await call("POST", `/ping/${web.uuid}`, { token: null });
    const key = await createAgentKey(["db"], ["upload", "read"]);
    const { id } = await uploadBackup(key, "db", bytesOf(4321, 9));
    await signedJson(key, "POST", `/v1/backups/${id}/drills`, { ok: true, duration_s: 12.5 });

    const samples = parse((await scrape()).text);
    expect(valueOf(samples, "lifeboat_check_up", "web")).toBe(1);
    expect(valueOf(samples, "lifeboat_check_up", "idle")).toBeUndefined(); // new: neither up nor down
    expect(samples.get('lifeboat_check_state{check="idle",state="new"}')).toBe(1);
    expect(samples.get('lifeboat_check_state{check="idle",state="up"}')).toBe(0);
    expect(valueOf(samples, "lifeboat_check_last_ping_timestamp_seconds", "web")).toBeGreaterThan(1.7e9);
    expect(valueOf(samples, "lifeboat_backup_last_good_size_bytes", "db")).toBe(4321);
    expect(valueOf(samples, "lifeboat_backup_age_seconds", "db")).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, "lifeboat_backup_age_seconds", "db")).toBeLessThan(60);
    expect(valueOf(samples, "lifeboat_backup_rpo_seconds", "db")).toBe(86400 + 3600); // period + grace
    expect(valueOf(samples, "lifeboat_drill_last_ok", "db")).toBe(1);
    expect(valueOf(samples, "lifeboat_drill_last_duration_seconds", "db")).toBe(12.5);
    expect(valueOf(samples, "lifeboat_backup_last_good_size_bytes", "web")).toBeUndefined();
    expect(samples.get("lifeboat_storage_stored_bytes")).toBe(4321);
  });

  it("escapes check names in labels so no name can break a scrape", async () => {
    const name = 'db "prod" \\ main\n# TYPE injected gauge';
    const created = await call("POST", "/api/v1/checks", { body: { name, slug: "tricky", period_s: 60, grace_s: 60 } });
    expect(created.status).toBe(201);
    const { text } = await scrape();
    parse(text); // every sample line well-formed
    expect(text).toContain('name="db \\"prod\\" \\\\ main\\n# TYPE injected gauge"');
    expect(text.split("\n").filter((l) => l.startsWith("# TYPE injected"))).toEqual([]);
  });
});

describe("metric families", () => {
  const now = Date.UTC(2026, 11, 1, 12);
  it("counts failed and pending notifications per channel and flags broken channels", () => {
    const text = renderExposition(
      metricFamilies(
        {
          checks: [],
          channels: [
            { name: "ops slack", kind: "slack", status: "broken", failed: 3, pending: 1 },
            { name: "pager", kind: "pagerduty", status: "ok", failed: 0, pending: 0 },
          ],
          storage: { storedBytes: 10, quotaBytes: null },
          sweep: null,
          repositories: [],
        },
        now,
      ),
    );
    expect(text).toContain('lifeboat_notifications_failed{channel="ops slack",kind="slack"} 3');
    expect(text).toContain('lifeboat_channel_broken{channel="ops slack",kind="slack"} 1');
    expect(text).toContain('lifeboat_channel_broken{channel="pager",kind="pagerduty"} 0');
    expect(text).not.toMatch(/^lifeboat_storage_quota_bytes /m); // no quota: absent, not 0
  });

  it("derives ages from the clock it is given", () => {
    const at = now - 3 * 3_600_000;
    const families = metricFamilies(
      {
        checks: [
          {
            slug: "db",
            name: "db",
            kind: "backup",
            group_name: "",
            status: "up",
            last_ping_at: at,
            last_good: JSON.stringify([at, 100]),
            last_drill: JSON.stringify([now - 86_400_000, 0, 1500]),
            rpo_s: 86_400,
          },
        ],
        channels: [],
        storage: { storedBytes: 0, quotaBytes: 1000 },
        sweep: null,
        repositories: [],
      },
      now,
    );
    const text = renderExposition(families);
    expect(text).toContain('lifeboat_backup_age_seconds{check="db"} 10800');
    expect(text).toContain('lifeboat_backup_rpo_seconds{check="db"} 86400');
    expect(text).toContain('lifeboat_drill_age_seconds{check="db"} 86400');
    expect(text).toContain('lifeboat_drill_last_ok{check="db"} 0');
    expect(text).toContain("lifeboat_storage_quota_bytes 1000");
  });
});
