// A baseline for bench/upload.mjs: the least a Worker can do with an uploaded part on the same
// runtime, dev server and local R2 as Lifeboat — stream the body into R2 with R2's sha256 check
// (the hash taken from the agent's X-Lifeboat-Content-SHA256 header, unverified). No D1, no
// signature check. The object is deleted again once stored, so rounds of gigabytes leave no disk
// behind. Under /drain/… it only reads the body to its end and stores nothing: what the runtime's
// HTTP ingest costs without R2. Run by its own `wrangler dev` from a config bench/upload.mjs writes.
export default {
  async fetch(request, env) {
    if (request.method !== "PUT") return new Response("PUT a part\n", { status: 405 });
    if (new URL(request.url).pathname.startsWith("/drain/")) {
      let bytes = 0;
      for await (const chunk of request.body) bytes += chunk.byteLength;
      return Response.json({ stored: false, bytes });
    }
    const sha256 = request.headers.get("X-Lifeboat-Content-SHA256") ?? undefined;
    const key = crypto.randomUUID();
    await env.BUCKET.put(key, request.body, sha256 ? { sha256 } : {});
    await env.BUCKET.delete(key);
    return Response.json({ stored: true });
  },
};
