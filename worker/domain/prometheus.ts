/**
 * The Prometheus text exposition format (version 0.0.4), the subset Lifeboat needs: gauges with
 * labels. Label values are user data (check names, slugs), so they are escaped as the format
 * demands — a backslash, a double quote or a newline in a name cannot break a scrape.
 */

export type Labels = Record<string, string>;
export type Sample = { labels?: Labels; value: number | null };
export type Family = { name: string; help: string; type: "gauge" | "counter"; samples: Sample[] };

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** Samples whose value is null (nothing known yet: a check never pinged) are left out, not zero. */
export function renderExposition(families: Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      if (sample.value === null) continue;
      lines.push(`${family.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Unix milliseconds → the seconds Prometheus timestamps-as-values use; null stays null. */
export function seconds(ms: number | null | undefined): number | null {
  return ms === null || ms === undefined ? null : ms / 1000;
}
