import type { FC } from "hono/jsx";
import type { ResticFileRow } from "../../db/schema";
import type { RepositoryStats } from "../../services/restic-repos";
import { formatBytes, timestamp } from "./format";
import { Time } from "./overview";
import { Table, type Column } from "./table";

export type ResticData = {
  stats: RepositoryStats;
  quotaBytes: number | null;
  types: { type: string; files: number; bytes: number }[];
  snapshots: ResticFileRow[];
  /** The repository for `restic -r`, with placeholders for the key id and secret. */
  repository: string;
};

/** A restic check's repository: how to reach it, its size against the quota, files and snapshots. */
export const ResticSections: FC<{ restic: ResticData; now: number }> = ({ restic, now }) => (
  <section aria-labelledby="h-restic">
    <h2 id="h-restic">restic repository</h2>
    <dl>
      <dt>Repository</dt>
      <dd>
        <code id="restic-repository">{restic.repository}</code>
        <span class="hint"> a key with the restic scope for this check; docs/RESTIC.md</span>
      </dd>
      <dt>Stored</dt>
      <dd>
        {formatBytes(restic.stats.storedBytes)} in {restic.stats.files} files
        {restic.quotaBytes !== null &&
          ` (${Math.round((restic.stats.storedBytes / restic.quotaBytes) * 100)} % of the ${formatBytes(restic.quotaBytes)} quota)`}
      </dd>
      <dt>Snapshots</dt>
      <dd>
        {restic.stats.snapshots}, the newest <Time at={restic.stats.lastSnapshotAt} now={now} />
      </dd>
    </dl>
    <Table columns={typeColumns} rows={restic.types} />
    {restic.snapshots.length > 0 && (
      <Table caption="Newest snapshots" columns={snapshotColumns(now)} rows={restic.snapshots} />
    )}
  </section>
);

const typeColumns: Column<ResticData["types"][number]>[] = [
  { header: "Type", cell: (t) => t.type },
  { header: "Files", num: true, cell: (t) => t.files },
  { header: "Size", num: true, cell: (t) => formatBytes(t.bytes) },
];

const snapshotColumns = (now: number): Column<ResticFileRow>[] => [
  { header: "Received", cell: (s) => <Time at={s.receivedAt} now={now} /> },
  { header: "Snapshot", cell: (s) => <code>{s.name.slice(0, 8)}</code> },
  { header: "Added", num: true, cell: (s) => (s.addedBytes === null ? "—" : formatBytes(s.addedBytes)) },
  { header: "Immutable until", cell: (s) => timestamp(s.immutableUntil) },
  { header: "Key", cell: (s) => <code>{s.keyId ?? "—"}</code> },
];
