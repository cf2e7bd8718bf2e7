/**
 * The dashboard's one stylesheet, served as /admin/app.css so the CSP can forbid inline styles.
 * System fonts, light and dark via prefers-color-scheme, a focus ring on everything focusable.
 */
export const ADMIN_CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
  --accent: #0550ae; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --idle: #6e7781; --focus: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22;
    --accent: #58a6ff; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --idle: #8b949e; --focus: #79c0ff; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; z-index: 1; }
header.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; margin-right: auto; }
header.top nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
header.top form { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.2rem 3rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: .7rem; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; background: var(--panel); }
.cards strong { display: block; font-size: 1.5rem; }
.state { font-weight: 600; white-space: nowrap; }
.state::before { content: "●"; margin-right: .3em; }
.state-up { color: var(--ok); } .state-down { color: var(--bad); } .state-late, .state-started { color: var(--warn); }
.state-new, .state-paused { color: var(--idle); }
.bad { color: var(--bad); } .ok { color: var(--ok); } .muted { color: var(--muted); }
pre { white-space: pre-wrap; word-break: break-word; background: var(--panel); border: 1px solid var(--line); padding: .5rem; margin: .3rem 0; font-size: .85rem; max-height: 20rem; overflow: auto; }
code { font-size: .9em; }
.meter { width: 100%; max-width: 30rem; height: 1rem; }
form.stack fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 1rem; padding: .6rem 1rem 1rem; }
form.stack legend { font-weight: 600; padding: 0 .3rem; }
.field { margin: .6rem 0; }
.field label { display: block; font-weight: 600; }
.field .hint { display: block; color: var(--muted); font-size: .85rem; }
.field .error { display: block; color: var(--bad); font-weight: 600; }
.field.check label { display: inline; font-weight: 600; }
input[type=text], input[type=password], input:not([type]), select, textarea { font: inherit; color: inherit; background: var(--bg);
  border: 1px solid var(--line); border-radius: 4px; padding: .35rem .5rem; width: 100%; max-width: 32rem; }
[aria-invalid="true"] { border-color: var(--bad); border-width: 2px; }
button, .button { font: inherit; padding: .4rem .9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent);
  color: var(--bg); cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: transparent; color: var(--accent); }
.inline { display: inline; }
.actions { display: flex; gap: .6rem; align-items: center; margin: 1rem 0; }
.notice { border: 1px solid var(--line); border-left: 4px solid var(--accent); padding: .6rem 1rem; background: var(--panel); margin: 1rem 0; }
.notice.errors { border-left-color: var(--bad); }
.secret { font-family: ui-monospace, monospace; word-break: break-all; user-select: all; }
svg.chart { width: 100%; max-width: 48rem; height: auto; background: var(--panel); border: 1px solid var(--line); }
svg.chart .line { fill: none; stroke: var(--accent); stroke-width: 2; }
svg.chart .axis { stroke: var(--line); }
svg.chart text { fill: var(--muted); font-size: 11px; }
svg.chart .pt-complete { fill: var(--ok); } svg.chart .pt-suspicious { fill: var(--warn); } svg.chart .pt-failed { fill: var(--bad); }
svg.chart .pt-other { fill: var(--idle); }
.login { max-width: 26rem; margin: 4rem auto; }
`;
