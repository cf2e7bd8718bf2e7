import { formatBytes } from "../../domain/bytes";
import { agoWords, shortDuration } from "../../domain/status/days";
import type { StatusCheck } from "../../services/status";
import { Bars } from "./bars";

/** One check: name, state in words with an icon, the ages that matter, and its 90 days. */
export function CheckItem(props: { check: StatusCheck; now: number }) {
  const { check, now } = props;
  return (
    <li>
      <h3>{check.name}</h3>
      <b class={check.state.level}>
        <i aria-hidden="true">{check.state.icon}</i> {check.state.words}
      </b>
      <p>{facts(check, now).join(" · ")}</p>
      {check.description ? <p>{check.description}</p> : null}
      <Bars bars={check.bars} firstDay={check.firstDay} kind={check.kind} />
    </li>
  );
}

/**
 * "Last good backup 3 h ago" (a restic repository: "Last snapshot 3 h ago"), "RPO 25 h", "restore
 * verified 5 d ago" — plain words, no colour needed.
 */
export function facts(check: StatusCheck, now: number): string[] {
  if (check.kind === "heartbeat") {
    return [check.lastSuccessAt === null ? "No success yet" : `Last success ${agoWords(check.lastSuccessAt, now)}`];
  }
  const [point, size] = check.kind === "restic" ? ["snapshot", " added"] : ["good backup", ""];
  const backup = check.newestGood
    ? `Last ${point} ${agoWords(check.newestGood.takenAt, now)}` +
      (check.publicDetails ? ` (${formatBytes(check.newestGood.size)}${size})` : "")
    : `No ${point} yet`;
  return [backup, `RPO ${shortDuration(check.rpoS * 1000)}`, drillWords(check, now)];
}

function drillWords(check: StatusCheck, now: number): string {
  const verified =
    check.lastOkDrillAt === null ? "never verified" : `restore verified ${agoWords(check.lastOkDrillAt, now)}`;
  const failed =
    check.lastDrill && !check.lastDrill.ok ? `; last drill failed ${agoWords(check.lastDrill.at, now)}` : "";
  const since = check.lastOkDrillAt ?? null;
  const overdue = check.drillEveryS !== null && (since === null || now - since > check.drillEveryS * 1000);
  const due =
    overdue && check.drillEveryS !== null ? ` (overdue: every ${shortDuration(check.drillEveryS * 1000)})` : "";
  return `${verified.charAt(0).toUpperCase()}${verified.slice(1)}${due}${failed}`;
}
