// The baseline for bench/pings.mjs: the least a Worker can do on the same runtime, config flags
// and dev server as Lifeboat, so the ratios show what Lifeboat's own work costs.
export default {
  fetch() {
    return new Response("OK");
  },
};
