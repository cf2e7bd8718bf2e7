import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { raw } from "hono/html";
import type { Role } from "../../domain/session";

export type PageContext = { role: Role; csrf: string; now: number };

const NAV = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/checks/new", label: "New check" },
  { href: "/admin/channels", label: "Channels" },
  { href: "/admin/keys", label: "Agent keys" },
] as const;

type LayoutProps = PropsWithChildren<{ title: string; page?: PageContext; current?: string }>;

/** Every dashboard page: landmarks, a skip link, the navigation and the logout form. */
export const Layout: FC<LayoutProps> = ({ title, page, current, children }) => (
  <>
    {raw("<!DOCTYPE html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${title} · Lifeboat admin`}</title>
        <link rel="stylesheet" href="/admin/app.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">Lifeboat admin</span>
          {page && (
            <>
              <nav aria-label="Dashboard">
                <ul>
                  {NAV.filter((n) => page.role === "admin" || n.href !== "/admin/checks/new").map((n) => (
                    <li>
                      <a href={n.href} aria-current={current === n.href ? "page" : undefined}>
                        {n.label}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
              {page.role === "read" && <span class="muted">read-only</span>}
              <form method="post" action="/admin/logout">
                <CsrfField token={page.csrf} />
                <button type="submit" class="secondary">
                  Log out
                </button>
              </form>
            </>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  </>
);

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

/** A message page (403, 404, errors) in the dashboard's frame. */
export const MessagePage: FC<{ title: string; message: Child; page?: PageContext }> = ({ title, message, page }) => (
  <Layout title={title} page={page}>
    <p>{message}</p>
    <p>
      <a href="/admin">Back to the overview</a>
    </p>
  </Layout>
);
