/** Bindings and settings of the Worker (wrangler.toml, .dev.vars, `wrangler secret put`). */
export type Env = {
  DB: D1Database;
  BUCKET: R2Bucket;
  /** Full access to the admin API. */
  ADMIN_TOKEN: string;
  /** Optional: lists and reads through the admin API, changes nothing. */
  ADMIN_READ_TOKEN?: string;
  /**
   * Optional keys for the healthchecks-compatible Management API (X-Api-Key; docs/COMPATIBILITY.md),
   * read-write and read-only, so its tools need not hold ADMIN_TOKEN. ADMIN_TOKEN and
   * ADMIN_READ_TOKEN are accepted there too.
   */
  HC_API_KEY?: string;
  HC_API_KEY_READONLY?: string;
  /** Root of every derived secret (agent key secrets, webhook signing keys, the ping key). */
  LIFEBOAT_MASTER_KEY: string;
  /** Optional fixed ping key for /ping/<ping_key>/<slug> URLs; derived from the master key when unset. */
  PING_KEY?: string;
  /** Base URL for links in API answers and alerts; derived from the request when empty. */
  PUBLIC_URL?: string;
  /** Cloudflare's send_email binding for the email channel (optional; see docs/CHANNELS.md). */
  EMAIL?: SendEmail;
  /** The sender address of alert emails (a verified address on your Email Routing zone). */
  EMAIL_FROM?: string;
  /** "true" only in development and tests: channels may post to http://, loopback and private receivers. */
  ALLOW_INSECURE_CHANNELS?: string;
  /** The public status page's title until one is set through the API (PUT /api/v1/settings/status-page). */
  STATUS_PAGE_TITLE?: string;
  /**
   * Optional: a healthchecks-compatible ping URL (healthchecks.io, a check on another Lifeboat)
   * pinged after every good sweep and at its /fail after a failed one. A secret: set it with
   * `wrangler secret put SELF_PING_URL`.
   */
  SELF_PING_URL?: string;
  /** Seconds the public pages are cached (Cache-Control and the server's own memo); "0" turns caching off. Default 30. */
  STATUS_CACHE_S?: string;
  /**
   * "paid" on the Workers Paid plan: the dashboard then shows the Free plan projection without its
   * warning (the Paid plan's limits are monthly and far larger; docs/FREE_PLAN.md). Default: free.
   */
  PLAN?: string;
};

/** ALLOW_INSECURE_CHANNELS: only the exact string "true" turns the egress rules off. */
export const allowsInsecureChannels = (env: Pick<Env, "ALLOW_INSECURE_CHANNELS">) =>
  env.ALLOW_INSECURE_CHANNELS === "true";

/** PLAN: only the exact string "paid" (any case) says the Free plan's daily limits do not apply. */
export const onPaidPlan = (env: Pick<Env, "PLAN">) => env.PLAN?.trim().toLowerCase() === "paid";
