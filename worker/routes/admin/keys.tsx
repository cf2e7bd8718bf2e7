import { Hono, type Context } from "hono";
import { AppError } from "../../errors";
import { createKey, listKeys, revokeKey } from "../../services/keys";
import { agentSha256 } from "../agent-files";
import { CreateKey, installCommand, newKeyInput, resticRepositoryOf } from "../api/keys";
import type { FormErrors, FormValues } from "../../views/admin/fields";
import { KeysPage, NewKeyPage } from "../../views/admin/keys";
import { appErrors, splitList, zodErrors } from "./forms";
import type { AdminEnv } from "./guard";

/** Agent keys: list, create (the secret shown once), revoke. */
export const keyRoutes = new Hono<AdminEnv>();

keyRoutes.get("/keys", (c) => keysPage(c, { checks: "*", scopes: ["ping", "upload"] }, {}));

keyRoutes.post("/keys", async (c) => {
  const form = c.get("form") as FormValues;
  const checks = text(form.checks);
  const scopes = form.scopes === undefined ? [] : Array.isArray(form.scopes) ? form.scopes : [form.scopes];
  const parsed = CreateKey.safeParse({
    host: text(form.host),
    checks: checks === "*" ? "*" : splitList(checks),
    scopes,
  });
  if (!parsed.success) return keysPage(c, form, zodErrors(parsed.error), 400);
  try {
    const { key, secret } = await createKey(
      c.get("db"),
      c.env.LIFEBOAT_MASTER_KEY,
      newKeyInput(parsed.data),
      Date.now(),
    );
    const install = installCommand(c.get("baseUrl"), key.id);
    const restic = resticRepositoryOf(c.get("baseUrl"), key);
    const agentSha = await agentSha256();
    return c.html(
      <NewKeyPage
        page={c.get("page")}
        agentKey={key}
        secret={secret}
        install={install}
        agentSha={agentSha}
        resticRepository={restic}
      />,
      201,
    );
  } catch (error) {
    if (error instanceof AppError && error.status < 500) return keysPage(c, form, appErrors(error), 400);
    throw error;
  }
});

keyRoutes.post("/keys/:id/revoke", async (c) => {
  const key = await revokeKey(c.get("db"), c.req.param("id"), Date.now());
  return keysPage(c, {}, {}, 200, `Key ${key.id} (${key.host}) revoked: the agent can no longer use it.`);
});

async function keysPage(
  c: Context<AdminEnv>,
  values: FormValues,
  errors: FormErrors,
  status: 200 | 400 = 200,
  notice?: string,
) {
  const keys = await listKeys(c.get("db"));
  return c.html(<KeysPage page={c.get("page")} keys={keys} values={values} errors={errors} notice={notice} />, status);
}

const text = (value: FormValues[string]) => (Array.isArray(value) ? (value[0] ?? "") : (value ?? "")).trim();
