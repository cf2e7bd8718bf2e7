// What every channel is asked to say, and what a channel renderer must produce. Renderers are pure:
// (alert, channel config, secret) in, an outbound request or an email out. Transport, retries and
// the outbox live in services/.

/** `retention`: the stored history falls short of the check's retention policy (the check's state is unchanged). */
/** `drill`: a restore drill of one of its backups failed (the check's state is unchanged). */
export type AlertKind = "down" | "up" | "reminder" | "flapping" | "retention" | "drill" | "test";

export type Alert = {
  kind: AlertKind;
  /** Stable across retries of one delivery; receivers may use it to drop duplicates. */
  deliveryId: string;
  check: {
    uuid: string;
    name: string;
    slug: string;
    tags: string[];
    /** The state this alert reports: "down", "up", … (the check's current state for flapping). */
    status: string;
    /**
     * Absolute link to the check's dashboard page (/admin/checks/<unique_key>): what a person
     * clicks. It names the check by its unique_key, so a chat that shows it learns no capability.
     */
    url: string;
    /** The check in the admin API (needs a bearer token): for programs; only the webhook sends it. */
    apiUrl: string;
  };
  /** The state before the change this alert is about (null for reminders, flapping and tests). */
  previousStatus: string | null;
  /** Machine reason of the flip: timeout, run_timeout, fail, exit_status, too_short, too_early, anomaly, ping, … */
  reason: string;
  /** The reason in words: "no ping before the deadline", "exit status 3", … Untrusted: escape it. */
  reasonText: string;
  /** When the current state began (unix ms). */
  since: number;
  /** The last ping of any kind (unix ms), or null when the check never received one. */
  lastPingAt: number | null;
  /** Tail of the last ping body (a job's output). Untrusted text: every renderer escapes and cuts it. */
  logExcerpt: string | null;
  /** Dependent checks that are down too and were folded into this (the parent's) alert, with dashboard links. */
  children: { name: string; url: string }[];
  /** For `flapping`: how many times the check changed state in the last hour. */
  flipsLastHour: number | null;
  /**
   * For the one down or up alert that ends a flapping episode (the summary): how many times the
   * check changed state after the flapping alert. Null for every other alert.
   */
  changesSinceFlapping: number | null;
  /** For `reminder`: 1 for the first reminder, 2 for the second, … */
  reminderNumber: number | null;
};

export type HttpDelivery = {
  transport: "http";
  url: string;
  headers: Record<string, string>;
  body: string;
};

export type EmailDelivery = {
  transport: "email";
  to: string;
  subject: string;
  text: string;
};

export type Delivery = HttpDelivery | EmailDelivery;

/** How a failed HTTP answer should be treated: try again later, or stop and mark the channel broken. */
export type FailureKind = "retry" | "permanent";
