import { z } from "@hono/zod-openapi";
import { CHECK_KINDS } from "../../db/schema";
import { field } from "./field";

export const Slug = z
  .string()
  .regex(/^[a-z0-9_-]{1,64}$/, "use 1–64 characters of a-z, 0-9, _ and -")
  .openapi({ example: "nightly-db-backup" });

export const Tag = z.string().regex(/^[A-Za-z0-9_.:-]{1,40}$/, "tags are 1–40 characters of A-Z, a-z, 0-9, _ . : -");

/** What a check is and who sees it. */
export const CHECK_IDENTITY_FIELDS = {
  name: field("name", z.string().trim().min(1).max(100).openapi({ example: "Nightly database backup" }), {
    label: "Name",
  }),
  slug: field("slug", Slug, { label: "Slug", hint: "for /ping/<ping_key>/<slug> URLs; from the name when empty" }),
  kind: field(
    "kind",
    z.enum(CHECK_KINDS).openapi({
      description: "heartbeat: pings; backup: the agent's uploads; restic: a restic repository at /restic/<slug>/",
    }),
    {
      label: "Kind",
      hint: "heartbeat: a job or host checks in; backup: the agent uploads backups; restic: a restic repository",
    },
  ),
  desc: field("desc", z.string().max(2000), { label: "Description" }),
  group: field("group", z.string().max(100), { label: "Group", hint: "groups checks on the status page" }),
  tags: field("tags", z.array(Tag).max(20), {
    label: "Tags",
    hint: "separated by commas or spaces",
    default: [],
    view: z.array(z.string()),
  }),
  public: field("public", z.boolean(), { label: "Show on the public status page" }),
  public_details: field(
    "publicDetails",
    z.boolean().openapi({
      description: "public checks: the status page also shows the description, backup sizes and incident details",
    }),
    { label: "Also show details publicly", hint: "description, backup sizes and incident details" },
  ),
};
