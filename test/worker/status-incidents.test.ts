import { describe, expect, it } from "vitest";
import { incidentsOf } from "../../worker/domain/status/incidents";
import { displayState, overallBanner } from "../../worker/domain/status/state-words";
import { timelineOf, type StatusChange } from "../../worker/domain/status/timeline";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-11-20T12:00:00Z");
const SINCE = NOW - 14 * 24 * HOUR;
const change = (at: number, from: StatusChange["from"], to: StatusChange["to"], reason = "timeout"): StatusChange => ({
  at,
  from,
  to,
  reason,
  detail: `detail of ${reason}`,
});

describe("incidents from flips", () => {
  it("pairs each down with the next up, newest first, with its duration", () => {
    const timeline = timelineOf(
      null,
      [
        change(NOW - 50 * HOUR, "up", "down", "fail"),
        change(NOW - 47 * HOUR, "down", "up", "ping"),
        change(NOW - 5 * HOUR, "up", "down", "timeout"),
        change(NOW - 4 * HOUR, "down", "up", "ping"),
      ],
      "up",
    );
    const incidents = incidentsOf(timeline, SINCE);
    expect(incidents.map((i) => [i.reason, (i.end! - i.start) / HOUR, i.endedBy])).toEqual([
      ["timeout", 1, "up"],
      ["fail", 3, "up"],
    ]);
  });

  it("keeps an incident open while the check is still down", () => {
    const incidents = incidentsOf(timelineOf(null, [change(NOW - HOUR, "up", "down")], "down"), SINCE);
    expect(incidents).toEqual([
      { start: NOW - HOUR, end: null, endedBy: null, reason: "timeout", detail: "detail of timeout" },
    ]);
  });

  it("dates an incident that began before the window from the last flip before it", () => {
    const before = change(SINCE - 10 * HOUR, "up", "down");
    const incidents = incidentsOf(timelineOf(before, [change(SINCE + 2 * HOUR, "down", "up", "ping")], "up"), SINCE);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.start).toBe(SINCE - 10 * HOUR);
    expect(incidents[0]!.end! - incidents[0]!.start).toBe(12 * HOUR);
  });

  it("leaves out incidents that ended before the window, and counts a pause as an end", () => {
    const timeline = timelineOf(
      null,
      [
        change(SINCE - 30 * HOUR, "up", "down"),
        change(SINCE - 20 * HOUR, "down", "up", "ping"),
        change(NOW - 3 * HOUR, "up", "down"),
        change(NOW - 2 * HOUR, "down", "paused", "paused"),
      ],
      "paused",
    );
    expect(incidentsOf(timeline, SINCE).map((i) => i.endedBy)).toEqual(["paused"]);
  });
});

describe("state words and the banner", () => {
  const ctx = { kind: "backup" as const, maintenance: false, rpo: "green" as const };

  it("says every state in words with an icon", () => {
    for (const status of ["new", "up", "late", "down", "paused", "started"] as const) {
      const state = displayState(status, ctx);
      expect(state.words.length).toBeGreaterThan(2);
      expect(state.icon.length).toBeGreaterThan(0);
    }
  });

  it("calls an up backup check whose newest backup is past its RPO overdue", () => {
    expect(displayState("up", { ...ctx, rpo: "amber" })).toMatchObject({ words: "Backup overdue", level: "warn" });
    expect(displayState("up", { ...ctx, rpo: "red" })).toMatchObject({ level: "bad" });
    expect(displayState("up", { ...ctx, maintenance: true })).toMatchObject({ words: "Under maintenance" });
  });

  it("shows the worst thing happening, counted", () => {
    const up = displayState("up", ctx);
    const down = displayState("down", ctx);
    const late = displayState("late", ctx);
    expect(overallBanner([], false)).toMatchObject({ level: "off" });
    expect(overallBanner([up, up], false)).toEqual({ level: "ok", words: "All systems operational" });
    expect(overallBanner([up, late], false)).toMatchObject({ level: "warn" });
    expect(overallBanner([up, late, down], false)).toEqual({ level: "bad", words: "1 of 3 checks is failing" });
    expect(overallBanner([down, down], false)).toMatchObject({
      level: "bad",
      words: expect.stringMatching(/^Major outage/),
    });
    expect(overallBanner([up], true)).toMatchObject({ level: "maint" });
  });
});

describe("changes in the same millisecond", () => {
  it("keep the order they were written in (the flip id), whatever order they are read in", () => {
    const at = NOW - HOUR;
    const up = { ...change(at, "new", "up", "ping"), seq: 1 };
    const down = { ...change(at, "up", "down", "fail"), seq: 2 };
    for (const order of [
      [up, down],
      [down, up],
    ]) {
      const incidents = incidentsOf(timelineOf(null, order, "down"), SINCE);
      expect(incidents).toEqual([expect.objectContaining({ start: at, end: null, reason: "fail" })]);
    }
  });
});
