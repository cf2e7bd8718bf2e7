/**
 * Runs one cron sweep on a `wrangler dev --test-scheduled` at `time` (ms) on the sweep's clock and
 * waits for it: the handler awaits the whole sweep before answering.
 */
export async function triggerScheduled(origin, time) {
  const response = await fetch(`${origin}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time=${time}`);
  const body = await response.text();
  if (response.status !== 200 || body !== "ok")
    throw new Error(`scheduled at ${time}: HTTP ${response.status} ${body}`);
}
