// The baseline for upload benchmarks: a plain Node HTTP server that takes any PUT or POST and
// streams its body to a file while hashing it with sha256 — what storing an upload costs with no
// Worker runtime, no R2 emulation and no D1 in between. Answers {"bytes": n, "sha256": "…"}.
// The file is removed as soon as the answer is sent: the point is the write, not the keeping.
import { createHash } from "node:crypto";
import { createWriteStream, rmSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

/** @param {string} dir where the bodies are written (one file per request in flight) */
export async function startSink(dir) {
  let n = 0;
  const server = createServer(async (req, res) => {
    if (req.method !== "PUT" && req.method !== "POST") return res.writeHead(405).end();
    const file = join(dir, `sink-body-${process.pid}-${n++}`);
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      await pipeline(
        req,
        async function* (source) {
          for await (const chunk of source) {
            hash.update(chunk);
            bytes += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(file),
      );
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ bytes, sha256: hash.digest("hex") }));
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    } finally {
      rmSync(file, { force: true });
    }
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", () => done(undefined)));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done(undefined));
      }),
  };
}
