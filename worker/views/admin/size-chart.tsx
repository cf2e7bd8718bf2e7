import type { FC } from "hono/jsx";
import { formatBytes, timestamp } from "./format";

export type SizePoint = { id: string; receivedAt: number; size: number; status: string };

const W = 640;
const H = 200;
const LEFT = 64;
const RIGHT = 16;
const TOP = 14;
const BOTTOM = 28;

/**
 * Backup sizes over time as inline SVG (no script, no image request): a line through the restorable
 * backups, a dot per backup coloured by status and named in words by its <title>. The backups table
 * next to it is the text alternative; the chart's description sums it up.
 */
export const SizeChart: FC<{ points: SizePoint[] }> = ({ points }) => {
  const sorted = [...points].sort((a, b) => a.receivedAt - b.receivedAt);
  if (sorted.length === 0) return <p class="muted">No backups yet.</p>;
  const first = sorted[0]!.receivedAt;
  const last = sorted[sorted.length - 1]!.receivedAt;
  const maxSize = Math.max(1, ...sorted.map((p) => p.size));
  const x = (at: number) =>
    last === first ? LEFT + (W - LEFT - RIGHT) / 2 : LEFT + ((at - first) / (last - first)) * (W - LEFT - RIGHT);
  const y = (size: number) => TOP + (1 - size / maxSize) * (H - TOP - BOTTOM);
  const good = sorted.filter((p) => p.status === "complete" || p.status === "suspicious");
  const line = good.map((p) => `${x(p.receivedAt).toFixed(1)},${y(p.size).toFixed(1)}`).join(" ");
  const newest = sorted[sorted.length - 1]!;
  const summary =
    `${sorted.length} backup(s) from ${timestamp(first)} to ${timestamp(last)}; ` +
    `newest ${formatBytes(newest.size)} (${newest.status}); largest ${formatBytes(maxSize)}.`;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-title chart-desc">
      <title id="chart-title">Backup size over time</title>
      <desc id="chart-desc">{summary}</desc>
      <line class="axis" x1={LEFT} y1={H - BOTTOM} x2={W - RIGHT} y2={H - BOTTOM} />
      <line class="axis" x1={LEFT} y1={TOP} x2={LEFT} y2={H - BOTTOM} />
      <text x={LEFT - 6} y={TOP + 4} text-anchor="end">
        {formatBytes(maxSize)}
      </text>
      <text x={LEFT - 6} y={H - BOTTOM} text-anchor="end">
        0 B
      </text>
      <text x={LEFT} y={H - 8}>
        {timestamp(first).slice(0, 10)}
      </text>
      <text x={W - RIGHT} y={H - 8} text-anchor="end">
        {timestamp(last).slice(0, 10)}
      </text>
      {good.length > 1 && <polyline class="line" points={line} />}
      {sorted.map((p) => (
        <circle
          class={`pt-${["complete", "suspicious", "failed"].includes(p.status) ? p.status : "other"}`}
          cx={x(p.receivedAt).toFixed(1)}
          cy={y(p.size).toFixed(1)}
          r={4}
        >
          <title>{`${timestamp(p.receivedAt)} · ${formatBytes(p.size)} · ${p.status}`}</title>
        </circle>
      ))}
    </svg>
  );
};
