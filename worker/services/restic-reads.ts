import { resticFiles, type ResticFileRow } from "../db/schema";
import { listingItem, MEDIA_V1, MEDIA_V2, type ResticType } from "../domain/restic";
import { AppError } from "../errors";
import { and, eq, gt } from "drizzle-orm";
import type { RawRow } from "./columns";
import { prepare, type Db } from "./db";
import { parseRange } from "./parts";

/** Rows per D1 query of a listing: 100,000 packs are 20 queries, and memory holds one page. */
export const LISTING_PAGE = 5000;

/**
 * A file for HEAD (size only, always with Content-Length) or GET (whole, or the Range restic asks
 * for, answered 206), streamed from R2 without buffering.
 */
export async function fileResponse(
  bucket: R2Bucket,
  file: ResticFileRow,
  method: string,
  rangeHeader: string | undefined,
): Promise<Response> {
  const headers = new Headers({ "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes" });
  if (method === "HEAD") {
    headers.set("Content-Length", String(file.size));
    return new Response(null, { status: 200, headers });
  }
  const range = parseRange(rangeHeader, file.size);
  if (range === "unsatisfiable") {
    throw new AppError("range_not_satisfiable", `the range is outside the file's ${file.size} bytes`, undefined, {
      "Content-Range": `bytes */${file.size}`,
    });
  }
  const { start, end } = range ?? { start: 0, end: file.size - 1 };
  const length = Math.max(0, end - start + 1);
  const object = length === 0 ? null : await bucket.get(file.r2Key, { range: { offset: start, length } });
  if (length > 0 && !object) throw new Error(`restic file ${file.type}/${file.name} is missing from R2`);
  headers.set("Content-Length", String(length));
  if (range) headers.set("Content-Range", `bytes ${start}-${end}/${file.size}`);
  return new Response(object?.body ?? null, { status: range ? 206 : 200, headers });
}

/**
 * `GET /<repo>/<type>/` as a JSON array streamed page by page from D1 (keyset pagination on the
 * primary key), so memory stays at one page whatever the repository's size and R2 is never listed.
 */
export function listingResponse(db: Db, checkId: number, type: ResticType, version: 1 | 2): Response {
  const encoder = new TextEncoder();
  const pages = listingPages(db, checkId, type, LISTING_PAGE);
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value: page } = await pages.next();
      if (!page) return controller.close();
      let chunk = first ? "[" : "";
      for (const row of page.rows) {
        chunk += (first ? "" : ",") + listingItem(version, row);
        first = false;
      }
      if (page.last) chunk += "]";
      controller.enqueue(encoder.encode(chunk));
      if (page.last) controller.close();
    },
    cancel: () => void pages.return(undefined),
  });
  return new Response(body, { status: 200, headers: { "Content-Type": version === 2 ? MEDIA_V2 : MEDIA_V1 } });
}

/**
 * The files of one type in name order, page by page (keyset pagination on the primary key: each
 * page is one range read of the b-tree, however deep into the listing), with D1's rows_read.
 */
export async function* listingPages(db: Db, checkId: number, type: ResticType, pageSize: number) {
  let after = "";
  for (;;) {
    // Through prepare, not the builder's own run: the page needs D1's meta (rows_read).
    const { results, meta } = await prepare(
      db,
      db
        .select({ name: resticFiles.name, size: resticFiles.size })
        .from(resticFiles)
        .where(and(eq(resticFiles.checkId, checkId), eq(resticFiles.type, type), gt(resticFiles.name, after)))
        .orderBy(resticFiles.name)
        .limit(pageSize),
    ).all<RawRow<typeof resticFiles, "name" | "size">>();
    yield { rows: results, rowsRead: meta.rows_read ?? 0, last: results.length < pageSize };
    if (results.length < pageSize) return;
    after = results[results.length - 1]!.name;
  }
}
