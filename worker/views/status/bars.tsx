import { runsOf, runWords, type DayBar } from "../../domain/status/bars";
import type { CheckKind } from "../../db/schema";
import { keepsRestorePoints } from "../../domain/kinds";

const CLASS = { green: "g", amber: "a", red: "r", grey: "x", unknown: "u" } as const;

/**
 * 90 days as one inline SVG: each run of equal days is one <rect> whose <title> is both its
 * tooltip and, with role="img" (Chromium leaves a bare shape out of the tree), its accessible name;
 * the SVG's label sums the period.
 */
export function Bars(props: { bars: DayBar[]; firstDay: number; kind: CheckKind }) {
  const runs = runsOf(props.bars, props.firstDay, props.kind);
  return (
    <svg
      class="b"
      viewBox={`0 0 ${props.bars.length} 1`}
      preserveAspectRatio="none"
      role="group"
      aria-label={summary(props.bars, props.kind)}
    >
      {runs.map((run) => (
        <rect
          x={run.first - props.firstDay}
          width={run.last - run.first + 1}
          height="1"
          class={CLASS[run.colour]}
          role="img"
        >
          <title>{runWords(run, props.kind)}</title>
        </rect>
      ))}
    </svg>
  );
}

/** "90 days: 87 within RPO, 2 over RPO, 1 no data". */
export function summary(bars: DayBar[], kind: CheckKind): string {
  const words = keepsRestorePoints(kind)
    ? { green: "within RPO", amber: "over RPO", red: "over 2× RPO" }
    : { green: "up all day", amber: "with downtime", red: "with long downtime" };
  const count = (colour: DayBar["colour"]) => bars.filter((b) => b.colour === colour).length;
  const parts = (["green", "amber", "red"] as const).filter((c) => count(c) > 0).map((c) => `${count(c)} ${words[c]}`);
  const idle = count("grey") + count("unknown");
  if (idle > 0) parts.push(`${idle} no data`);
  return `${bars.length} days: ${parts.join(", ")}`;
}
