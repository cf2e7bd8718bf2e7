import type { FC } from "hono/jsx";
import type { ResticFileRow } from "../../db/schema";
import type { RepositoryStats } from "../../services/restic-repos";
import { formatBytes, timestamp } from "./format";
import { Time } from "./overview";

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
    <table>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col" class="num">
            Files
          </th>
          <th scope="col" class="num">
            Size
          </th>
        </tr>
      </thead>
      <tbody>
        {restic.types.map((t) => (
          <tr>
            <td>{t.type}</td>
            <td class="num">{t.files}</td>
            <td class="num">{formatBytes(t.bytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
    {restic.snapshots.length > 0 && (
      <table>
        <caption>Newest snapshots</caption>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Snapshot</th>
            <th scope="col" class="num">
              Added
            </th>
            <th scope="col">Immutable until</th>
            <th scope="col">Key</th>
          </tr>
        </thead>
        <tbody>
          {restic.snapshots.map((s) => (
            <tr>
              <td>
                <Time at={s.receivedAt} now={now} />
              </td>
              <td>
                <code>{s.name.slice(0, 8)}</code>
              </td>
              <td class="num">{s.addedBytes === null ? "—" : formatBytes(s.addedBytes)}</td>
              <td>{timestamp(s.immutableUntil)}</td>
              <td>
                <code>{s.keyId ?? "—"}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);
