import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MEDIA_V1, MEDIA_V2 } from "../../worker/domain/restic";
import { createCheck } from "../helpers/api";
import { createAgentKey, type AgentKey } from "../helpers/agent";
import { fileOf, restic, upload } from "../helpers/restic";

// restic's REST backend protocol (restic's doc/REST_backend.rst) as the real client uses it:
// v1 and v2 listings, HEAD sizes, Range reads, the config, and the plain status codes restic reads.

let key: AgentKey;

beforeAll(async () => {
  await createCheck({ name: "Files", slug: "proto", kind: "restic" });
  key = await createAgentKey(["proto"], ["restic"]);
});

describe("a repository", () => {
  it("is created by POST ?create=true (as restic init sends it), and only so", async () => {
    expect((await restic(key, "POST", "proto/?create=true")).status).toBe(200);
    expect((await restic(key, "POST", "proto/?create=true")).status).toBe(200); // already there: still 200
    const plain = await restic(key, "POST", "proto/");
    expect(plain.status).toBe(400);
    expect(JSON.parse(plain.text).error.code).toBe("validation_failed");
    const row = await env.DB.prepare(
      "SELECT stored_bytes, files FROM restic_repos r JOIN checks c ON c.id = r.check_id WHERE c.slug = 'proto'",
    ).first();
    expect(row).toEqual({ stored_bytes: 0, files: 0 });
  });

  it("keeps its config: absent, stored once, read back; never overwritten or deleted", async () => {
    expect((await restic(key, "HEAD", "proto/config")).status).toBe(404);
    expect((await restic(key, "GET", "proto/config")).status).toBe(404);
    const config = new Uint8Array([1, 2, 3, 250, 251, 252, 0, 9]); // restic's config is encrypted bytes
    expect((await restic(key, "POST", "proto/config", { body: config })).status).toBe(200);
    const head = await restic(key, "HEAD", "proto/config");
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("8");
    expect((await restic(key, "GET", "proto/config")).bytes).toEqual(config);
    expect((await restic(key, "POST", "proto/config", { body: new Uint8Array([7]) })).status).toBe(403);
    expect((await restic(key, "DELETE", "proto/config")).status).toBe(403);
    expect((await restic(key, "GET", "proto/config")).bytes).toEqual(config);
  });
});

describe("files", () => {
  it("are stored under their sha256, sized by HEAD and read whole or in ranges (206)", async () => {
    const content = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    const name = await upload(key, "proto", "data", content);
    const head = await restic(key, "HEAD", `proto/data/${name}`);
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("100000");
    expect(head.bytes.length).toBe(0);

    const whole = await restic(key, "GET", `proto/data/${name}`);
    expect(whole.status).toBe(200);
    expect(whole.bytes).toEqual(content);
    // restic's two range forms: "bytes=<offset>-<end>" and "bytes=<offset>-".
    const middle = await restic(key, "GET", `proto/data/${name}`, { headers: { Range: "bytes=1000-1999" } });
    expect(middle.status).toBe(206);
    expect(middle.headers.get("Content-Range")).toBe("bytes 1000-1999/100000");
    expect(middle.headers.get("Content-Length")).toBe("1000");
    expect(middle.bytes).toEqual(content.subarray(1000, 2000));
    const tail = await restic(key, "GET", `proto/data/${name}`, { headers: { Range: "bytes=99990-" } });
    expect(tail.status).toBe(206);
    expect(tail.bytes).toEqual(content.subarray(99_990));
    const outside = await restic(key, "GET", `proto/data/${name}`, { headers: { Range: "bytes=100000-" } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("Content-Range")).toBe("bytes */100000");
  });

  it("that do not exist are 404 for HEAD and GET", async () => {
    const missing = "a".repeat(64);
    expect((await restic(key, "HEAD", `proto/snapshots/${missing}`)).status).toBe(404);
    expect((await restic(key, "GET", `proto/snapshots/${missing}`)).status).toBe(404);
  });

  it("of every type are content-addressed, an empty one included", async () => {
    for (const type of ["keys", "locks", "snapshots", "index", "data"]) {
      const name = await upload(key, "proto", type, `a ${type} file`);
      expect((await restic(key, "GET", `proto/${type}/${name}`)).text).toBe(`a ${type} file`);
    }
    const empty = await upload(key, "proto", "data", new Uint8Array(0));
    const head = await restic(key, "HEAD", `proto/data/${empty}`);
    expect([head.status, head.headers.get("Content-Length")]).toEqual([200, "0"]);
    expect((await restic(key, "GET", `proto/data/${empty}`)).bytes.length).toBe(0);
  });

  it("need a Content-Length (411) and a name that is a sha256 (404 for anything else)", async () => {
    const file = await fileOf("streamed");
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(file.bytes);
        controller.close();
      },
    });
    const chunked = await restic(key, "POST", `proto/data/${file.name}`, { body: stream });
    expect(chunked.status).toBe(411);
    expect(JSON.parse(chunked.text).error.code).toBe("length_required");
    for (const path of [
      "proto/data/ABC",
      `proto/data/${file.name.toUpperCase()}`,
      `proto/pack/${file.name}`,
      `proto/data/${file.name}/x`,
    ]) {
      expect((await restic(key, "POST", path, { body: file.bytes })).status, path).toBe(404);
    }
  });

  it("over the Worker's request limit get a 413 that names --pack-size", async () => {
    const file = await fileOf("small body, large claim");
    const response = await restic(key, "POST", `proto/data/${file.name}`, {
      body: file.bytes,
      headers: { "Content-Length": String(128 * 1024 * 1024) },
    });
    // The runtime may refuse a Content-Length that lies about the body before the Worker does.
    if (response.status === 413) expect(JSON.parse(response.text).error.message).toContain("--pack-size");
    else expect(response.status).toBe(400);
  });
});

describe("listings", () => {
  it("answer v1 (names) by default and v2 (names and sizes) when asked, with that Content-Type", async () => {
    await createCheck({ name: "Listed", slug: "listed", kind: "restic" });
    const lister = await createAgentKey(["listed"], ["restic"]);
    const names = [];
    for (const text of ["one", "two two", "three three three"])
      names.push(await upload(lister, "listed", "index", text));
    names.sort();

    const v1 = await restic(lister, "GET", "listed/index/");
    expect(v1.status).toBe(200);
    expect(v1.headers.get("Content-Type")).toBe(MEDIA_V1);
    expect(JSON.parse(v1.text)).toEqual(names);
    const v1Explicit = await restic(lister, "GET", "listed/index/", { headers: { Accept: MEDIA_V1 } });
    expect(JSON.parse(v1Explicit.text)).toEqual(names);

    const v2 = await restic(lister, "GET", "listed/index/", { headers: { Accept: MEDIA_V2 } });
    expect(v2.headers.get("Content-Type")).toBe(MEDIA_V2);
    const sizes = Object.fromEntries(JSON.parse(v2.text).map((f: any) => [f.name, f.size]));
    expect(Object.keys(sizes).sort()).toEqual(names);
    expect(Object.values(sizes).sort((a: any, b: any) => a - b)).toEqual([3, 7, 17]);

    // Empty types are empty arrays; the path without its slash is the same listing.
    expect(JSON.parse((await restic(lister, "GET", "listed/snapshots/")).text)).toEqual([]);
    expect(JSON.parse((await restic(lister, "GET", "listed/index")).text)).toEqual(names);
    // Types are listed apart: the index files are not data.
    expect(JSON.parse((await restic(lister, "GET", "listed/data/")).text)).toEqual([]);
  });

  it("other methods are 405 with an Allow header", async () => {
    const response = await restic(key, "POST", "proto/data/");
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET");
    expect((await restic(key, "PUT", "proto/config")).status).toBe(405);
    expect((await restic(key, "DELETE", "proto/")).status).toBe(403);
  });
});
