// The baseline for bench/pings.mjs and bench/sweep.mjs: the least a Worker can do on the same
// runtime, config flags and dev server as Lifeboat, so the ratios show what Lifeboat's own work
// costs: a request answered "OK", a cron invocation that does nothing.
export default {
  fetch() {
    return new Response("OK");
  },
  scheduled() {},
};
