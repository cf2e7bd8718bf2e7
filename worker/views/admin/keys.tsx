import type { FC } from "hono/jsx";
import type { AgentKeyRow } from "../../db/schema";
import { CheckboxField, ErrorSummary, TextField, type FormErrors, type FormValues } from "./fields";
import { CsrfField, Layout, type PageContext } from "./layout";
import { Time } from "./overview";

const SCOPES = [
  { scope: "ping", label: "ping — send pings and logs" },
  { scope: "upload", label: "upload — add backups (never delete or overwrite)" },
  { scope: "read", label: "read — download its checks' backups (restores and drills)" },
  { scope: "restic", label: "restic — use its restic repositories, append-only (docs/RESTIC.md)" },
  { scope: "prune", label: "prune — with restic, also delete files past their window (one trusted machine)" },
] as const;

const LABELS = { host: "Host", checks: "Checks", scopes: "Scopes" };

type KeysProps = { page: PageContext; keys: AgentKeyRow[]; values: FormValues; errors: FormErrors; notice?: string };

export const KeysPage: FC<KeysProps> = ({ page, keys, values, errors, notice }) => {
  const scopes = Array.isArray(values.scopes) ? values.scopes : values.scopes ? [values.scopes] : [];
  return (
    <Layout title="Agent keys" page={page} current="/admin/keys">
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {keys.length === 0 ? (
        <p>No keys yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Host</th>
              <th scope="col">Checks</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr>
                <td>
                  <code>{key.id}</code>
                </td>
                <td>{key.host}</td>
                <td>{key.checks.join(", ")}</td>
                <td>{key.scopes.join(", ")}</td>
                <td>
                  <Time at={key.createdAt} now={page.now} />
                </td>
                <td>
                  <Time at={key.lastUsedAt} now={page.now} />
                </td>
                <td>
                  {key.revokedAt !== null ? (
                    <span class="muted">
                      revoked <Time at={key.revokedAt} now={page.now} />
                    </span>
                  ) : page.role === "admin" ? (
                    <form method="post" action={`/admin/keys/${key.id}/revoke`} class="inline">
                      <CsrfField token={page.csrf} />
                      <button type="submit" class="secondary" aria-label={`Revoke ${key.id} (${key.host})`}>
                        Revoke
                      </button>
                    </form>
                  ) : (
                    "active"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page.role === "admin" && (
        <section aria-labelledby="h-new-key">
          <h2 id="h-new-key">New key</h2>
          <ErrorSummary errors={errors} labels={LABELS} />
          <form method="post" action="/admin/keys" class="stack" novalidate>
            <CsrfField token={page.csrf} />
            <TextField
              name="host"
              label="Host"
              hint="a label for the machine, e.g. app-vps-1"
              value={text(values.host)}
              error={errors.host}
              required
            />
            <TextField
              name="checks"
              label="Checks"
              hint="slugs this key may touch, separated by commas; * for all"
              value={text(values.checks)}
              error={errors.checks}
            />
            <fieldset aria-describedby={errors.scopes ? "f-scopes-error" : undefined}>
              <legend>Scopes</legend>
              {errors.scopes && (
                <span class="error" id="f-scopes-error">
                  {errors.scopes}
                </span>
              )}
              {SCOPES.map((s) => (
                <CheckboxField name="scopes" value={s.scope} label={s.label} checked={scopes.includes(s.scope)} />
              ))}
            </fieldset>
            <button type="submit">Create key</button>
          </form>
        </section>
      )}
    </Layout>
  );
};

const text = (value: FormValues[string]) => (Array.isArray(value) ? value.join(", ") : (value ?? ""));

/** The one time a key's secret is shown: it is derived, never stored, and this page is not cached. */
export const NewKeyPage: FC<{
  page: PageContext;
  agentKey: AgentKeyRow;
  secret: string;
  install: string;
  agentSha: string;
  resticRepository: string | null;
}> = ({ page, agentKey: key, secret, install, agentSha, resticRepository }) => (
  <Layout title="Key created" page={page} current="/admin/keys">
    <div class="notice" role="status">
      <p>
        <strong>Copy the secret now: it is shown only this once.</strong>
      </p>
    </div>
    <dl>
      <dt>Key id</dt>
      <dd>
        <code>{key.id}</code>
      </dd>
      <dt>Host</dt>
      <dd>{key.host}</dd>
      <dt>Secret</dt>
      <dd>
        <code class="secret" id="key-secret">
          {secret}
        </code>
      </dd>
      <dt>Install the agent on {key.host}</dt>
      <dd>
        <pre id="install-command">{install}</pre>
        <span class="hint">It asks for the secret on the terminal.</span>
      </dd>
      <dt>Agent sha256</dt>
      <dd>
        <code id="agent-sha256">{agentSha}</code>
        <span class="hint">
          The installer prints the sha256 of the agent it downloaded: it must be this one. To refuse any other, add{" "}
          <code>LIFEBOAT_AGENT_SHA256={agentSha}</code> before <code>sh</code>.
        </span>
      </dd>
      {resticRepository && (
        <>
          <dt>restic repository</dt>
          <dd>
            <pre id="restic-repository">{resticRepository}</pre>
            <span class="hint">
              With the secret in place of &lt;secret&gt;, keep it in a file for RESTIC_REPOSITORY_FILE, never on a
              command line (docs/RESTIC.md).
            </span>
          </dd>
        </>
      )}
    </dl>
    <p>
      <a href="/admin/keys">Back to the keys</a>
    </p>
  </Layout>
);
