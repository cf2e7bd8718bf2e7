import type { FC } from "hono/jsx";
import type { CheckRow } from "../../db/schema";
import { currentStatus, type Status } from "../../domain/state";
import type { overview } from "../../services/dashboard";
import { checkHref, formatBytes, isoOf, percent, relative, STATUS_WORDS, timestamp } from "./format";
import { Layout, type PageContext } from "./layout";
import { FreePlanSection } from "./free-plan";
import { MonitoringBanner, SweepsSection } from "./sweeps";

type Overview = Awaited<ReturnType<typeof overview>>;

export const StatusText: FC<{ status: Status }> = ({ status }) => (
  <span class={`state state-${status}`}>{STATUS_WORDS[status]}</span>
);

export const Time: FC<{ at: number | null; now: number }> = ({ at, now }) =>
  at === null ? (
    <span class="muted">never</span>
  ) : (
    <time datetime={isoOf(at)} title={timestamp(at)}>
      {relative(at, now)}
    </time>
  );

export const OverviewPage: FC<{ page: PageContext; data: Overview; paid: boolean }> = ({ page, data, paid }) => {
  const { now } = page;
  return (
    <Layout title="Overview" page={page} current="/admin">
      <MonitoringBanner monitoring={data.monitoring} />
      <section aria-labelledby="h-states">
        <h2 id="h-states">Checks by state</h2>
        <ul class="cards">
          {(Object.keys(STATUS_WORDS) as Status[]).map((status) => (
            <li>
              <strong>{data.counts[status]}</strong>
              <StatusText status={status} />
            </li>
          ))}
        </ul>
        <ChecksTable checks={data.checks} now={now} canEdit={page.role === "admin"} />
      </section>

      <section aria-labelledby="h-rates">
        <h2 id="h-rates">Backup success rate</h2>
        <p class="muted">
          Runs of backup checks: registered backups, and failures reported before any backup was registered.
        </p>
        <table>
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col" class="num">
                Success
              </th>
              <th scope="col" class="num">
                Good
              </th>
              <th scope="col" class="num">
                Failed or suspicious
              </th>
            </tr>
          </thead>
          <tbody>
            {data.rates.map((r) => (
              <tr>
                <th scope="row">last {r.days} days</th>
                <td class="num">{percent(r.good, r.bad)}</td>
                <td class="num">{r.good}</td>
                <td class="num">{r.bad}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="h-storage">
        <h2 id="h-storage">Storage</h2>
        <Storage storage={data.storage} />
      </section>

      <FreePlanSection plan={data.plan} paid={paid} />

      <section aria-labelledby="h-points">
        <h2 id="h-points">Restore points</h2>
        {data.points.length === 0 ? (
          <p class="muted">No backup checks yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col" class="num">
                  Restore points
                </th>
                <th scope="col">Newest</th>
                <th scope="col">Oldest</th>
                <th scope="col" class="num">
                  Size
                </th>
                <th scope="col">Last proven restore</th>
              </tr>
            </thead>
            <tbody>
              {data.points.map((p) => (
                <tr>
                  <td>
                    <a href={checkHref(p.key)}>{p.name}</a>
                  </td>
                  <td class="num">
                    {p.points}
                    {p.suspicious > 0 && <span class="bad"> ({p.suspicious} suspicious)</span>}
                  </td>
                  <td>
                    <Time at={p.newest} now={now} />
                  </td>
                  <td>
                    <Time at={p.oldest} now={now} />
                  </td>
                  <td class="num">{formatBytes(p.bytes)}</td>
                  <td>
                    <Time at={p.lastGoodDrill} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <SweepsSection monitoring={data.monitoring} sweeps={data.sweeps} now={now} />

      <section aria-labelledby="h-failures">
        <h2 id="h-failures">Recent failures</h2>
        {data.failures.length === 0 ? (
          <p class="muted">No failures among the kept pings.</p>
        ) : (
          data.failures.map((f) => (
            <article>
              <h3>
                <a href={checkHref(f.checkKey)}>{f.checkName}</a> <span class="bad">{failureLabel(f)}</span>{" "}
                <Time at={f.receivedAt} now={now} />
              </h3>
              {f.excerpt ? <pre>{f.excerpt}</pre> : <p class="muted">no log</p>}
            </article>
          ))
        )}
      </section>
    </Layout>
  );
};

export function failureLabel(f: { kind: string; exitStatus: number | null; outcome: string | null }): string {
  if (f.outcome) return f.outcome.replace(/_/g, " ");
  return f.kind === "exit" ? `exit status ${f.exitStatus}` : "failed";
}

const ChecksTable: FC<{ checks: CheckRow[]; now: number; canEdit: boolean }> = ({ checks, now, canEdit }) =>
  checks.length === 0 ? (
    <p>
      No checks yet.
      {canEdit && (
        <>
          {" "}
          <a href="/admin/checks/new">Create the first one</a>.
        </>
      )}
    </p>
  ) : (
    <table>
      <caption class="skip">All checks</caption>
      <thead>
        <tr>
          <th scope="col">Check</th>
          <th scope="col">Kind</th>
          <th scope="col">State</th>
          <th scope="col">Last ping</th>
          <th scope="col">Next due</th>
          <th scope="col">Public</th>
        </tr>
      </thead>
      <tbody>
        {checks.map((check) => (
          <tr>
            <td>
              <a href={checkHref(check)}>{check.name}</a>
              {check.group && <span class="muted"> · {check.group}</span>}
            </td>
            <td>{check.kind}</td>
            <td>
              <StatusText status={currentStatus(check, now)} />
            </td>
            <td>
              <Time at={check.lastPingAt} now={now} />
            </td>
            <td>
              {check.status === "paused" || check.nextDueAt === null ? "—" : <Time at={check.nextDueAt} now={now} />}
            </td>
            <td>{check.public ? "yes" : "no"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );

const Storage: FC<{ storage: Overview["storage"] }> = ({ storage }) => {
  const { storedBytes, quotaBytes } = storage;
  if (quotaBytes === null) return <p>{formatBytes(storedBytes)} stored; no quota set (PUT /api/v1/storage/quota).</p>;
  const fraction = quotaBytes > 0 ? storedBytes / quotaBytes : 1;
  return (
    <p>
      <label for="storage-meter">
        {formatBytes(storedBytes)} of {formatBytes(quotaBytes)} used ({Math.round(fraction * 100)} %)
      </label>
      <br />
      <meter
        id="storage-meter"
        class="meter"
        min={0}
        max={quotaBytes}
        low={quotaBytes * 0.8}
        high={quotaBytes * 0.95}
        optimum={0}
        value={storedBytes}
      />
    </p>
  );
};
