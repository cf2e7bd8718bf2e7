import type { CheckRow } from "../../db/schema";
import { isUuid } from "../../domain/ping-url";
import { planChannels, resolveChannels, tagsOf, type ChannelRef, type HcVersion } from "../../domain/hc-compat";
import { AppError } from "../../errors";
import {
  createCheck,
  deleteCheck,
  findCheckById,
  pauseCheck,
  resumeCheck,
  updateCheck,
  type AlongWithCheck,
} from "../../services/checks";
import type { Db } from "../../services/db";
import {
  channelRefs,
  channelStatements,
  findByUniqueKey,
  findUnique,
  listHcChecks,
  slugTaken,
} from "../../services/hc-checks";
import { findCheckToPing } from "../../services/pings";
import { slugify, toCheckInput } from "../api/check-input";
import type { UpdateCheck } from "../api/check-schemas";
import { z } from "@hono/zod-openapi";
import { Hono } from "hono";
import { authorize, hcNotFound, methodNotAllowed, type HcContext, type HcEnv } from "./app";
import { HcSpec, hcValidationMessage } from "./spec";
import { hcCheckView } from "./views";

/** healthchecks' check endpoints (hc/api/views.py): list, create/upsert, get, update, delete, pause, resume. */
export const hcChecks = new Hono<HcEnv>();

const UNIQUE_KEY = /^[0-9a-f]{40}$/;
const ListQuery = z.object({ slug: z.string().max(100).optional(), tag: z.array(z.string().max(100)).max(20) });

async function views(c: HcContext, rows: CheckRow[], readonly: boolean) {
  const channels = readonly ? [] : await channelRefs(c.get("db"));
  const ctx = { baseUrl: c.get("baseUrl"), v: c.get("v"), readonly, channels, now: Date.now() };
  return Promise.all(rows.map((row) => hcCheckView(row, ctx)));
}
const view = async (c: HcContext, row: CheckRow, readonly = false) => (await views(c, [row], readonly))[0]!;

/** The check a uuid names, or 404 (healthchecks' URL patterns answer 404 for a malformed uuid too). */
async function checkByUuid(c: HcContext): Promise<CheckRow> {
  const id = c.req.param("id") ?? "";
  const row = isUuid(id) ? await findCheckToPing(c.get("db"), { uuid: id.toLowerCase() }) : undefined;
  if (!row) throw hcNotFound();
  return row;
}

hcChecks.get("/api/:version/checks", async (c) => {
  const role = await authorize(c, "read-only");
  const query = ListQuery.safeParse({ slug: c.req.query("slug"), tag: c.req.queries("tag") ?? [] });
  if (!query.success)
    throw new AppError("bad_request", "invalid query: slug and tag are strings of at most 100 characters");
  const rows = await listHcChecks(c.get("db"), {
    slug: query.data.slug || undefined,
    tags: [...new Set(query.data.tag)],
  });
  return c.json({ checks: await views(c, rows, role === "read-only") });
});

hcChecks.post("/api/:version/checks", async (c) => {
  await authorize(c, "read-write");
  const spec = parseSpec(c);
  const db = c.get("db");
  const existing = await upsertTarget(db, spec);
  const row = await saveCheck(c, spec, existing ?? null);
  return c.json(await view(c, row), existing ? 200 : 201);
});

hcChecks.get("/api/:version/checks/:id", async (c) => {
  const role = await authorize(c, "read-only");
  const id = c.req.param("id");
  const row = UNIQUE_KEY.test(id) ? await findByUniqueKey(c.get("db"), id) : await checkByUuid(c);
  if (!row) throw hcNotFound();
  return c.json(await view(c, row, role === "read-only"));
});

hcChecks.post("/api/:version/checks/:id", async (c) => {
  if (UNIQUE_KEY.test(c.req.param("id"))) throw methodNotAllowed(); // unique_key URLs are read-only
  await authorize(c, "read-write");
  const row = await checkByUuid(c);
  return c.json(await view(c, await saveCheck(c, parseSpec(c), row)));
});

hcChecks.delete("/api/:version/checks/:id", async (c) => {
  await authorize(c, "read-write");
  const row = await checkByUuid(c);
  const shown = await view(c, row);
  await deleteCheck(c.get("db"), row, Date.now());
  return c.json(shown);
});

hcChecks.post("/api/:version/checks/:id/pause", async (c) => {
  await authorize(c, "read-write");
  const row = await checkByUuid(c);
  return c.json(await view(c, await pauseCheck(c.get("db"), row, Date.now())));
});

hcChecks.post("/api/:version/checks/:id/resume", async (c) => {
  await authorize(c, "read-write");
  const row = await checkByUuid(c);
  if (row.status !== "paused") throw new AppError("conflict", "check is not paused");
  return c.json(await view(c, await resumeCheck(c.get("db"), row, Date.now())));
});

for (const path of [
  "/api/:version/checks",
  "/api/:version/checks/:id",
  "/api/:version/checks/:id/pause",
  "/api/:version/checks/:id/resume",
]) {
  hcChecks.all(path, () => {
    throw methodNotAllowed();
  });
}

function parseSpec(c: HcContext): HcSpec {
  const { api_key: _key, ...fields } = c.get("body");
  const parsed = HcSpec.safeParse(fields);
  if (!parsed.success) throw new AppError("bad_request", hcValidationMessage(parsed.error));
  return parsed.data;
}

/** healthchecks' `unique`: an existing check whose listed fields equal the request's, if all are given. */
async function upsertTarget(db: Db, spec: HcSpec): Promise<CheckRow | undefined> {
  const unique = spec.unique ?? [];
  if (unique.length === 0 || unique.some((field) => spec[field] === undefined)) return undefined;
  const has = (field: (typeof unique)[number]) => unique.includes(field);
  return findUnique(db, {
    name: has("name") ? spec.name : undefined,
    slug: has("slug") ? spec.slug : undefined,
    tags: has("tags") ? tagsOf(spec.tags!) : undefined,
    periodS: has("timeout") ? spec.timeout : undefined,
    graceS: has("grace") ? spec.grace : undefined,
  });
}

/**
 * healthchecks' _update over a new or existing check: only the fields sent change; `schedule`
 * beats `timeout`; v1 and v2 derive the slug from the name. Lifeboat's slugs are unique, so a
 * derived slug that another check has gets a random suffix; a slug sent as such must be free (409).
 * Channel assignments are written in the check's own batch.
 */
async function saveCheck(c: HcContext, spec: HcSpec, existing: CheckRow | null): Promise<CheckRow> {
  const db = c.get("db");
  const body: z.infer<typeof UpdateCheck> = {
    name: spec.name,
    slug: await slugFor(db, spec, existing, c.get("v")),
    tags: spec.tags === undefined ? undefined : tagsOf(spec.tags),
    desc: spec.desc,
    tz: spec.tz,
    grace_s: spec.grace,
    ...(spec.schedule ? { cron: spec.schedule } : spec.timeout !== undefined ? { period_s: spec.timeout } : {}),
    methods: spec.methods,
    manual_resume: spec.manual_resume,
    start_kw: spec.start_kw,
    filter_body: spec.filter_body,
    filter_http_body: spec.filter_http_body,
    filter_default_fail: spec.filter_default_fail,
    ...subjectFields(spec, existing),
  };
  const input = toCheckInput(body, existing?.parentId ?? null, existing ?? undefined);
  const along = await channelAssignment(db, spec, input);
  const now = Date.now();
  const row = existing ? await updateCheck(db, existing, input, now, along) : await createCheck(db, input, now, along);
  return (await findCheckById(db, row.id)) ?? row;
}

async function slugFor(db: Db, spec: HcSpec, existing: CheckRow | null, v: HcVersion): Promise<string> {
  if (spec.slug) return spec.slug;
  const derive = spec.name !== undefined && (v < 3 || !existing);
  if (!derive && existing) return existing.slug;
  const derived = slugify(spec.name ?? "");
  if (!(await slugTaken(db, derived, existing?.id ?? null))) return derived;
  return `${derived.slice(0, 57)}-${crypto.randomUUID().slice(0, 6)}`;
}

/** The deprecated subject / subject_fail map onto success_kw / failure_kw with filter_subject. */
function subjectFields(spec: HcSpec, existing: CheckRow | null) {
  let successKw = existing?.successKw ?? "";
  let failureKw = existing?.failureKw ?? "";
  let filterSubject = existing?.filterSubject ?? false;
  if (spec.subject !== undefined) {
    successKw = spec.subject;
    filterSubject = Boolean(successKw || failureKw);
  }
  if (spec.subject_fail !== undefined) {
    failureKw = spec.subject_fail;
    filterSubject = Boolean(successKw || failureKw);
  }
  return {
    success_kw: spec.success_kw ?? successKw,
    failure_kw: spec.failure_kw ?? failureKw,
    filter_subject: spec.filter_subject ?? filterSubject,
  };
}

async function channelAssignment(
  db: Db,
  spec: HcSpec,
  check: { slug: string; tags: string[] },
): Promise<AlongWithCheck | undefined> {
  if (spec.channels === undefined) return undefined;
  const refs: ChannelRef[] = await channelRefs(db);
  const wanted = resolveChannels(spec.channels, refs);
  if ("error" in wanted) throw new AppError("bad_request", wanted.error);
  const plan = planChannels(refs, check, wanted);
  if ("error" in plan) throw new AppError("bad_request", plan.error);
  return (applied) => channelStatements(plan, check.slug, applied);
}
