import { Hono, type Context } from "hono";
import type { CheckRow } from "../../db/schema";
import { pingKeyOf } from "../../domain/signing";
import { AppError } from "../../errors";
import { CreateCheck, UpdateCheck } from "../api/check-schemas";
import { toCheckInput } from "../api/check-input";
import { checkView } from "../api/check-view";
import {
  createCheck,
  getCheck,
  pauseCheck,
  resolveParent,
  resumeCheck,
  updateCheck,
  idsOfCheck,
} from "../../services/checks";
import { CheckForm } from "../../views/admin/check-form";
import type { FormErrors, FormValues } from "../../views/admin/fields";
import { appErrors, fieldsOf, formToBody, valueText, zodErrors } from "./forms";
import type { AdminEnv } from "./guard";

/** Create and edit checks through the API's own schemas (CreateCheck, UpdateCheck) and mapping. */
export const checkFormRoutes = new Hono<AdminEnv>();

const createFields = fieldsOf(CreateCheck);
const updateFields = fieldsOf(UpdateCheck);
const slugConflict = (message: string) => (message.includes("slug") ? "slug" : undefined);

checkFormRoutes.get("/checks/new", (c) => renderForm(c, null, {}, {}));

checkFormRoutes.post("/checks", async (c) => {
  const db = c.get("db");
  const form = c.get("form") as FormValues;
  const parsed = CreateCheck.safeParse(formToBody(createFields, form, "create"));
  if (!parsed.success) return renderForm(c, null, form, zodErrors(parsed.error), 400);
  try {
    const parentId = parsed.data.parent ? await resolveParent(db, parsed.data.parent, null) : null;
    const row = await createCheck(db, toCheckInput(parsed.data, parentId), Date.now());
    return c.redirect(`/admin/checks/${row.uuid}?saved=created`, 303);
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      return renderForm(c, null, form, appErrors(error, slugConflict), 400);
    }
    throw error;
  }
});

checkFormRoutes.get("/checks/:id/edit", async (c) => {
  const row = await getCheck(c.get("db"), c.req.param("id"));
  return renderForm(c, row, await storedValues(c, row), {});
});

checkFormRoutes.post("/checks/:id", async (c) => {
  const db = c.get("db");
  const row = await getCheck(db, c.req.param("id"));
  const form = c.get("form") as FormValues;
  const parsed = UpdateCheck.safeParse(formToBody(updateFields, form, "update"));
  if (!parsed.success) return renderForm(c, row, form, zodErrors(parsed.error), 400);
  const body = parsed.data;
  try {
    const parentId =
      body.parent === undefined
        ? row.parentId
        : body.parent === null
          ? null
          : await resolveParent(db, body.parent, row);
    await updateCheck(db, row, toCheckInput(body, parentId, row), Date.now());
    return c.redirect(`/admin/checks/${row.uuid}?saved=updated`, 303);
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      return renderForm(c, row, form, appErrors(error, slugConflict), 400);
    }
    throw error;
  }
});

checkFormRoutes.post("/checks/:id/pause", async (c) => {
  const db = c.get("db");
  const row = await pauseCheck(db, await getCheck(db, c.req.param("id")), Date.now());
  return c.redirect(`/admin/checks/${row.uuid}?saved=paused`, 303);
});

checkFormRoutes.post("/checks/:id/resume", async (c) => {
  const db = c.get("db");
  const row = await resumeCheck(db, await getCheck(db, c.req.param("id")), Date.now());
  return c.redirect(`/admin/checks/${row.uuid}?saved=resumed`, 303);
});

function renderForm(
  c: Context<AdminEnv>,
  row: CheckRow | null,
  values: FormValues,
  errors: FormErrors,
  status: 200 | 400 = 200,
) {
  return c.html(
    <CheckForm
      page={c.get("page")}
      title={row ? `Edit ${row.name}` : "New check"}
      action={row ? `/admin/checks/${row.uuid}` : "/admin/checks"}
      submit={row ? "Save changes" : "Create check"}
      fields={row ? updateFields : createFields}
      values={values}
      errors={errors}
    />,
    status,
  );
}

/** The stored check as the API shows it (snake_case), as form values. */
async function storedValues(c: Context<AdminEnv>, row: CheckRow): Promise<FormValues> {
  const links = { baseUrl: c.get("baseUrl"), pingKey: await pingKeyOf(c.env) };
  const view = checkView(row, links, Date.now(), await idsOfCheck(c.get("db"), row.parentId));
  // A field the API's view does not show yet is read from its column, so saving never clears it.
  const flat: Record<string, unknown> = { ...view, ...view.retention };
  const column = (name: string) =>
    (row as Record<string, unknown>)[name.replace(/_([a-z])/g, (_, ch) => ch.toUpperCase())];
  return Object.fromEntries(updateFields.map((f) => [f.name, valueText(f.name, flat[f.name] ?? column(f.name))]));
}
