// A baseline for bench/pings.mjs: the D1 round trips of a Lifeboat ping and nothing else — no Hono,
// no drizzle, no state machine, no signature check — on the same runtime, dev server, schema
// (Lifeboat's migrations) and local D1. Lifeboat can come no closer to the bare route than this:
// the gap between this and the bare route is what miniflare's D1 simulator costs per round trip.
//   GET  /ping/<uuid>     1. SELECT the check by uuid or slug   2. batch: conditional UPDATE + INSERT ping
//   POST /signed/<slug>   1. batch: SELECT key, SELECT check     2. batch: UPDATE + INSERT ping + INSERT nonce
//   POST /seed?n=…&key=…  n checks and the key row, for the two above; answers their uuids and slugs
//   GET  /calls?n=…       n D1 round trips one after another, each an indexed lookup that finds
//                         nothing: what n round trips cost the simulator (bench/sweep.mjs)
//   GET  /fetches?n=…&to=…  n small JSON POSTs to `to`, one after another: what a sweep's webhook
//                         deliveries cost the runtime's HTTP client (bench/sweep.mjs)
// Run by its own `wrangler dev` from a config bench/pings.mjs writes.
const ping = (db, check, source, keyId) => [
  db
    .prepare(
      `UPDATE checks SET n_pings = n_pings + 1, last_ping_at = ?1, status = 'up', revision = ?2, updated_at = ?1
       WHERE id = ?3 AND revision = ?4`,
    )
    .bind(Date.now(), crypto.randomUUID(), check.id, check.revision),
  db
    .prepare(
      `INSERT INTO pings (check_id, kind, body, body_truncated, source, method, ip, user_agent, key_id, received_at)
       SELECT ?1, 'success', '', 0, ?2, 'GET', NULL, NULL, ?3, ?4 FROM checks WHERE id = ?1`,
    )
    .bind(check.id, source, keyId, Date.now()),
];

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, route, id] = url.pathname.split("/");
    const db = env.DB;
    if (route === "ping") {
      const check = await db.prepare("SELECT * FROM checks WHERE uuid = ?1 OR slug = ?1").bind(id).first();
      if (!check) return new Response("not found", { status: 404 });
      await db.batch(ping(db, check, "url", null));
      return new Response("OK");
    }
    if (route === "signed") {
      const keyId = request.headers.get("X-Lifeboat-Key");
      const [keys, checks] = await db.batch([
        db.prepare("SELECT * FROM agent_keys WHERE id = ?1 LIMIT 1").bind(keyId),
        db.prepare("SELECT * FROM checks WHERE slug = ?1 LIMIT 1").bind(id),
      ]);
      const check = checks.results[0];
      if (!keys.results[0] || !check) return new Response("not found", { status: 404 });
      await db.batch([
        ...ping(db, check, "signed", keyId),
        db
          .prepare("INSERT INTO nonces (key_id, nonce, expires_at) VALUES (?1, ?2, ?3)")
          .bind(keyId, request.headers.get("X-Lifeboat-Nonce"), Date.now() + 600_000),
      ]);
      return Response.json({ ok: true });
    }
    if (route === "calls") {
      const n = Number(url.searchParams.get("n") ?? 1);
      const statement = db.prepare(
        "SELECT id FROM checks WHERE status IN ('new', 'up') AND alert_after IS NOT NULL AND alert_after <= ?1 LIMIT 1",
      );
      for (let i = 0; i < n; i++) await statement.bind(0).all();
      return new Response("OK");
    }
    if (route === "fetches") {
      const n = Number(url.searchParams.get("n") ?? 1);
      for (let i = 0; i < n; i++) {
        const response = await fetch(url.searchParams.get("to"), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ event: "check.down", check: { name: `floor ${i}` } }),
        });
        await response.arrayBuffer();
      }
      return new Response("OK");
    }
    if (route === "seed" && request.method === "POST") {
      const n = Number(url.searchParams.get("n") ?? 1);
      const keyId = url.searchParams.get("key");
      const now = Date.now();
      const checks = Array.from({ length: n }, (_, i) => ({ uuid: crypto.randomUUID(), slug: `floor-${i}` }));
      await db.batch([
        db
          .prepare("INSERT INTO agent_keys (id, host, scopes, checks, created_at) VALUES (?1, 'floor', ?2, ?3, ?4)")
          .bind(keyId, '["ping"]', '["*"]', now),
        ...checks.map((c) =>
          db
            .prepare(
              `INSERT INTO checks (uuid, slug, name, grace_s, period_s, revision, created_at, updated_at)
               VALUES (?1, ?2, ?2, 60, 3600, 'r', ?3, ?3)`,
            )
            .bind(c.uuid, c.slug, now),
        ),
      ]);
      return Response.json({ checks });
    }
    return new Response("no such route", { status: 404 });
  },
};
