import type { FC } from "hono/jsx";
import type { DrillRow } from "../../db/schema";
import { describeRetention, isDefaultRetention } from "../../domain/retention";
import type { CheckPageData } from "./check-page";
import { formatBytes, preciseDuration, timestamp } from "./format";
import { Time } from "./overview";
import { SizeChart } from "./size-chart";

/** A drill that could not start is the host's trouble, not the backup's: muted, not red. */
const DRILL_RESULT: Record<DrillRow["outcome"], { words: string; class: string }> = {
  ok: { words: "restored", class: "ok" },
  failed: { words: "failed", class: "bad" },
  could_not_start: { words: "could not start", class: "muted" },
};

/** A backup check's backups (with the size chart), retention preview and restore drills. */
export const BackupSections: FC<{ data: CheckPageData; now: number }> = ({ data, now }) => (
  <>
    <section aria-labelledby="h-backups">
      <h2 id="h-backups">Backups</h2>
      <SizeChart points={data.backups.filter((b) => b.status !== "uploading")} />
      {data.backups.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Backup</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Source</th>
              <th scope="col">Notes</th>
            </tr>
          </thead>
          <tbody>
            {data.backups.map((b) => (
              <tr>
                <td>
                  <Time at={b.receivedAt} now={now} />
                </td>
                <td>
                  <code>{b.id}</code>
                </td>
                <td class={b.status === "complete" ? "ok" : b.status === "uploading" ? "" : "bad"}>{b.status}</td>
                <td class="num">{formatBytes(b.size)}</td>
                <td>
                  {b.source} from {b.host}
                </td>
                <td>
                  {b.anomaly ??
                    (b.failureLog ? (
                      <details>
                        <summary>log</summary>
                        <pre>{b.failureLog.slice(-2000)}</pre>
                      </details>
                    ) : (
                      ""
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>

    <section aria-labelledby="h-retention">
      <h2 id="h-retention">Retention preview</h2>
      <RetentionPreview data={data} now={now} />
    </section>

    <section aria-labelledby="h-drills">
      <h2 id="h-drills">Restore drills</h2>
      {data.drills.length === 0 ? (
        <p class="bad">Never verified: no restore drill or manual restore has been reported.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Reported</th>
              <th scope="col">Backup</th>
              <th scope="col">Result</th>
              <th scope="col" class="num">
                Measured RTO
              </th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {data.drills.map((d) => (
              <tr>
                <td>
                  <Time at={d.reportedAt} now={now} />
                </td>
                <td>
                  <code>{d.backupId}</code>
                </td>
                <td class={DRILL_RESULT[d.outcome].class}>
                  {d.kind === "restore" ? "restored by hand" : DRILL_RESULT[d.outcome].words}
                </td>
                <td class="num">{preciseDuration(d.durationMs)}</td>
                <td>{d.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </>
);

const RetentionPreview: FC<{ data: CheckPageData; now: number }> = ({ data, now }) => {
  const preview = data.retention;
  if (!preview) return null;
  const at = (id: string) => timestamp(preview.receivedAt.get(id) ?? null);
  return (
    <>
      <p>
        Policy: {describeRetention(data.check)}
        {isDefaultRetention(data.check, now) ? " (the default for this schedule)." : "."}
      </p>
      {preview.health.problems.length > 0 && (
        <ul class="bad">
          {preview.health.problems.map((problem) => (
            <li>{problem}</li>
          ))}
        </ul>
      )}
      {preview.enabled && (
        <table>
          <thead>
            <tr>
              <th scope="col">Backup</th>
              <th scope="col">Received</th>
              <th scope="col">Retention would</th>
            </tr>
          </thead>
          <tbody>
            {preview.plan.keep.map((k) => (
              <tr>
                <td>
                  <code>{k.id}</code>
                </td>
                <td>{at(k.id)}</td>
                <td class="ok">keep ({k.reasons.join(", ")})</td>
              </tr>
            ))}
            {preview.plan.delete.map((d) => (
              <tr>
                <td>
                  <code>{d.id}</code>
                </td>
                <td>{at(d.id)}</td>
                <td class="bad">delete ({d.reason})</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
};
