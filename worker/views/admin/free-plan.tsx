import type { FC } from "hono/jsx";
import { RESOURCES, WARN_RATIO, type Projection, type Resource } from "../../domain/free-plan";
import { checkHref } from "./format";

const LABELS: Record<Resource, string> = {
  rows_written: "D1 rows written",
  rows_read: "D1 rows read",
  requests: "Worker requests",
};
const TOP_CHECKS = 3;

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const percentOf = (ratio: number) => `${Math.round(ratio * 100)} %`;

/**
 * A day of this installation against the Workers Free plan's daily limits, with a warning from
 * 80 % of any of them. PLAN=paid keeps the figures and drops the warning: the Paid plan's limits differ.
 */
export const FreePlanSection: FC<{ plan: Projection; paid: boolean }> = ({ plan, paid }) => {
  const worst = RESOURCES.reduce((a, b) => (plan.resources[b].ratio > plan.resources[a].ratio ? b : a));
  return (
    <section aria-labelledby="h-free-plan">
      <h2 id="h-free-plan">Free plan budget</h2>
      {!paid && plan.level !== "ok" && (
        <p class="notice errors" role="alert" data-level={plan.level}>
          {plan.level === "over" ? "Over" : "Near"} the Workers Free plan's daily limit: {LABELS[worst]} projected at{" "}
          {percentOf(plan.resources[worst].ratio)} of {count(plan.resources[worst].limit)}.
          {plan.level === "over"
            ? " Past the limit, D1 refuses writes until the day resets at 00:00 UTC: pings would be lost."
            : ""}{" "}
          Lengthen the busiest checks' periods, send heartbeats as plain (unsigned) pings, or move to the Paid plan
          (docs/FREE_PLAN.md).
        </p>
      )}
      <p class="muted">
        Projected for one day from each check's schedule, or its last 24 h of pings and backups where those are more,
        plus the sweep's 1,440 runs.{" "}
        {paid
          ? "PLAN=paid: the Paid plan's limits are monthly and much larger, so no warning is shown; the Free plan's daily limits are kept here for comparison."
          : "The Free plan's limits reset every day at 00:00 UTC."}
      </p>
      {RESOURCES.map((resource) => {
        const { used, limit, ratio } = plan.resources[resource];
        return (
          <p>
            <label for={`plan-${resource}`}>
              {LABELS[resource]}: {count(used)} of {count(limit)} a day ({percentOf(ratio)})
            </label>
            <br />
            <meter
              id={`plan-${resource}`}
              class="meter"
              min={0}
              max={limit}
              low={limit * WARN_RATIO}
              high={limit * 0.95}
              optimum={0}
              value={Math.min(used, limit)}
            />
          </p>
        );
      })}
      <TopChecks plan={plan} />
    </section>
  );
};

const TopChecks: FC<{ plan: Projection }> = ({ plan }) =>
  plan.checks.length === 0 ? (
    <p class="muted">No checks yet: the sweep alone.</p>
  ) : (
    <table>
      <caption>The checks that cost most</caption>
      <thead>
        <tr>
          <th scope="col">Check</th>
          <th scope="col" class="num">
            Runs a day
          </th>
          <th scope="col" class="num">
            Rows written
          </th>
          <th scope="col" class="num">
            Rows read
          </th>
          <th scope="col" class="num">
            Requests
          </th>
        </tr>
      </thead>
      <tbody>
        {plan.checks.slice(0, TOP_CHECKS).map((c) => (
          <tr>
            <td>
              <a href={checkHref(c.key)}>{c.name}</a>
              <span class="muted"> · {c.signed ? "signed" : "plain"}</span>
            </td>
            <td class="num">{count(c.perDay)}</td>
            <td class="num">{count(c.cost.rows_written)}</td>
            <td class="num">{count(c.cost.rows_read)}</td>
            <td class="num">{count(c.cost.requests)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
