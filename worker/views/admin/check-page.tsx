import type { FC } from "hono/jsx";
import type { BackupRow, CheckRow, DrillRow, FlipRow } from "../../db/schema";
import { currentReason, currentStatus } from "../../domain/state";
import type { PingLine } from "../../services/dashboard";
import type { retentionPreview } from "../../services/retention";
import { BackupSections } from "./backup-sections";
import { ResticSections, type ResticData } from "./restic-sections";
import { CsrfField, Layout, type PageContext } from "./layout";
import { duration, preciseDuration } from "./format";
import { failureLabel, StatusText, Time } from "./overview";

export type CheckPageData = {
  check: CheckRow;
  /** The uuid and slug ping URLs; null for the read-only login. */
  pingUrls: [string, string] | null;
  pings: PingLine[];
  flips: FlipRow[];
  backups: BackupRow[];
  retention: Awaited<ReturnType<typeof retentionPreview>> | null;
  drills: DrillRow[];
  restic: ResticData | null;
};

export const CheckPage: FC<{ page: PageContext; data: CheckPageData; notice?: string }> = ({ page, data, notice }) => {
  const { check, now } = { check: data.check, now: page.now };
  const status = currentStatus(check, now);
  const { detail } = currentReason(check, now);
  return (
    <Layout title={check.name} page={page}>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <dl>
        <dt>State</dt>
        <dd>
          <StatusText status={status} />
          {detail && <span class="muted"> — {detail}</span>}
        </dd>
        <dt>Kind and schedule</dt>
        <dd>
          {check.kind}, {check.cron ? `cron "${check.cron}" (${check.tz})` : `every ${duration(check.periodS ?? 0)}`},
          grace {duration(check.graceS)}
        </dd>
        <dt>Last ping</dt>
        <dd>
          <Time at={check.lastPingAt} now={now} />
        </dd>
        {data.pingUrls && (
          <>
            <dt>Ping URLs</dt>
            <dd>
              <code>{data.pingUrls[0]}</code>
              <br />
              <code>{data.pingUrls[1]}</code>
            </dd>
          </>
        )}
        {check.desc && (
          <>
            <dt>Description</dt>
            <dd>{check.desc}</dd>
          </>
        )}
      </dl>
      {page.role === "admin" && (
        <div class="actions">
          <a class="button" href={`/admin/checks/${check.uuid}/edit`}>
            Edit
          </a>{" "}
          <form
            method="post"
            action={`/admin/checks/${check.uuid}/${check.status === "paused" ? "resume" : "pause"}`}
            class="inline"
          >
            <CsrfField token={page.csrf} />
            <button type="submit" class="secondary">
              {check.status === "paused" ? "Resume" : "Pause"}
            </button>
          </form>
        </div>
      )}

      {check.kind === "backup" && <BackupSections data={data} now={now} />}
      {data.restic && <ResticSections restic={data.restic} now={now} />}

      <section aria-labelledby="h-pings">
        <h2 id="h-pings">Ping log</h2>
        {data.pings.length === 0 ? (
          <p class="muted">No pings yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Kind</th>
                <th scope="col">Duration</th>
                <th scope="col">Source</th>
                <th scope="col">Log (tail)</th>
              </tr>
            </thead>
            <tbody>
              {data.pings.map((p) => (
                <tr>
                  <td>
                    <Time at={p.receivedAt} now={now} />
                  </td>
                  <td>
                    {p.kind === "exit" ? `exit ${p.exitStatus}` : p.kind}
                    {p.outcome && <span class="bad"> ({failureLabel(p)})</span>}
                  </td>
                  <td>{p.durationMs === null ? "—" : preciseDuration(p.durationMs)}</td>
                  <td>
                    {p.source}
                    {p.ip && <span class="muted"> {p.ip}</span>}
                  </td>
                  <td>
                    {p.excerpt ? (
                      <details>
                        <summary>{p.truncated ? "last 2000 characters" : `${p.excerpt.length} characters`}</summary>
                        <pre>{p.excerpt}</pre>
                      </details>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="h-flips">
        <h2 id="h-flips">State changes</h2>
        {data.flips.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Change</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {data.flips.map((f) => (
                <tr>
                  <td>
                    <Time at={f.createdAt} now={now} />
                  </td>
                  <td>
                    {f.fromStatus} → {f.toStatus}
                  </td>
                  <td>
                    {f.reason}
                    {f.detail && `: ${f.detail}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  );
};
