import type { FC } from "hono/jsx";
import type { CheckRow } from "../../db/schema";
import { currentStatus, type Status } from "../../domain/state";
import type { overview } from "../../services/dashboard";
import { checkHref, formatBytes, isoOf, percent, relative, STATUS_WORDS, timestamp } from "./format";
import { Layout, type PageContext } from "./layout";
import { FreePlanSection } from "./free-plan";
import { Table, type Column } from "./table";
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
        <Table columns={rateColumns} rows={data.rates} />
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
          <Table columns={pointColumns(now)} rows={data.points} />
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
    <Table caption="All checks" hiddenCaption columns={checkColumns(now)} rows={checks} />
  );

const checkColumns = (now: number): Column<CheckRow>[] => [
  {
    header: "Check",
    cell: (check) => (
      <>
        <a href={checkHref(check)}>{check.name}</a>
        {check.group && <span class="muted"> · {check.group}</span>}
      </>
    ),
  },
  { header: "Kind", cell: (check) => check.kind },
  { header: "State", cell: (check) => <StatusText status={currentStatus(check, now)} /> },
  { header: "Last ping", cell: (check) => <Time at={check.lastPingAt} now={now} /> },
  {
    header: "Next due",
    cell: (check) =>
      check.status === "paused" || check.nextDueAt === null ? "—" : <Time at={check.nextDueAt} now={now} />,
  },
  { header: "Public", cell: (check) => (check.public ? "yes" : "no") },
];

const rateColumns: Column<Overview["rates"][number]>[] = [
  { header: "Window", rowHeader: true, cell: (r) => `last ${r.days} days` },
  { header: "Success", num: true, cell: (r) => percent(r.good, r.bad) },
  { header: "Good", num: true, cell: (r) => r.good },
  { header: "Failed or suspicious", num: true, cell: (r) => r.bad },
];

const pointColumns = (now: number): Column<Overview["points"][number]>[] => [
  { header: "Check", cell: (p) => <a href={checkHref(p.key)}>{p.name}</a> },
  {
    header: "Restore points",
    num: true,
    cell: (p) => (
      <>
        {p.points}
        {p.suspicious > 0 && <span class="bad"> ({p.suspicious} suspicious)</span>}
      </>
    ),
  },
  { header: "Newest", cell: (p) => <Time at={p.newest} now={now} /> },
  { header: "Oldest", cell: (p) => <Time at={p.oldest} now={now} /> },
  { header: "Size", num: true, cell: (p) => formatBytes(p.bytes) },
  { header: "Last proven restore", cell: (p) => <Time at={p.lastGoodDrill} now={now} /> },
];

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
