import type { FC } from "hono/jsx";
import { Layout } from "./layout";

export const LoginPage: FC<{ error?: string }> = ({ error }) => (
  <Layout title="Log in">
    <form method="post" action="/admin/login" class="login stack">
      {error && (
        <div class="notice errors" role="alert" id="login-error">
          {error}
        </div>
      )}
      <div class="field">
        <label for="f-token">Admin token</label>
        <span class="hint" id="f-token-hint">
          ADMIN_TOKEN, or ADMIN_READ_TOKEN for a read-only view. The session lasts 12 hours.
        </span>
        <input
          id="f-token"
          name="token"
          type="password"
          required
          autocomplete="current-password"
          autofocus
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "f-token-hint login-error" : "f-token-hint"}
        />
      </div>
      <button type="submit">Log in</button>
    </form>
  </Layout>
);
