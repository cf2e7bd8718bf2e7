import type { FC } from "hono/jsx";
import type { SweepRunRow } from "../../db/schema";
import type { Monitoring } from "../../domain/monitoring";
import { preciseDuration, timestamp } from "./format";
import { Time } from "./overview";

/** Above everything while the sweep is behind: states may be stale and no alert is being sent. */
export const MonitoringBanner: FC<{ monitoring: Monitoring | null }> = ({ monitoring }) =>
  monitoring?.delayed ? (
    <p class="notice errors" role="alert">
      Monitoring delayed since {timestamp(monitoring.since)}: no sweep has finished since, so silent checks are not
      marked down and no alert goes out.
      {monitoring.lastError && ` The latest sweep failed: ${monitoring.lastError}`} See the last sweeps below and
      /health.
    </p>
  ) : null;

/** The last sweeps (a fixed ring of 10): when each ran, how long it took, and its error. */
export const SweepsSection: FC<{ monitoring: Monitoring | null; sweeps: SweepRunRow[]; now: number }> = ({
  monitoring,
  sweeps,
  now,
}) => (
  <section aria-labelledby="h-sweeps">
    <h2 id="h-sweeps">Last sweeps</h2>
    <p>
      {monitoring?.lastOkAt ? (
        <>
          Last good sweep <Time at={monitoring.lastOkAt} now={now} />.
        </>
      ) : (
        "No sweep has finished yet."
      )}{" "}
      The cron runs it every minute; a good one pings <code>SELF_PING_URL</code> when that is set.
    </p>
    {sweeps.length > 0 && (
      <table>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {sweeps.map((run) => (
            <tr>
              <td>
                <Time at={run.startedAt} now={now} />
              </td>
              <td class="num">{run.durationMs === null ? "—" : preciseDuration(run.durationMs)}</td>
              <td class={run.error || run.finishedAt === null ? "bad" : "ok"}>{sweepResult(run, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);

function sweepResult(run: SweepRunRow, now: number): string {
  if (run.error) return `failed: ${run.error}`;
  if (run.finishedAt !== null) return "ok";
  return now - run.startedAt > 120_000 ? "never finished (cut off?)" : "running";
}
