// The whole stylesheet, inline: one request, no JavaScript. Colours meet WCAG AA for text (4.5:1)
// on both backgrounds; the bars carry words in their titles, so colour is never the only signal.
// The bars' gaps are a mask over merged runs: one <rect> per run of equal days, not 90.
export const STATUS_CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--mu:#57606a;--bd:#d0d7de;--card:#f6f8fa;
--g:#1a7f37;--a:#d4a72c;--r:#cf222e;--n:#d0d7de;--u:#eaeef2;
--ok:#116329;--warn:#7d4e00;--bad:#a40e26;--off:#57606a;--maint:#0550ae}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mu:#9198a1;--bd:#30363d;--card:#161b22;
--g:#3fb950;--a:#d29922;--r:#f85149;--n:#30363d;--u:#21262d;
--ok:#3fb950;--warn:#d29922;--bad:#ff7b72;--off:#9198a1;--maint:#79c0ff}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:52rem;padding:1rem;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,sans-serif}
a{color:var(--maint)}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
ul,ol{list-style:none;margin:0;padding:0}
.sk{position:absolute;left:-9999px}.sk:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.bn{border:1px solid var(--bd);border-left:6px solid;border-radius:6px;padding:.75rem 1rem;font-weight:600;background:var(--card)}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}.off{color:var(--off)}.maint{color:var(--maint)}
.c li{display:grid;grid-template-columns:1fr auto;gap:0 1rem;border:1px solid var(--bd);border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
.c h3{font-size:1rem;margin:0}.c i{font-style:normal}
.c p,.c svg{grid-column:1/-1}
.c p,.mu,footer{color:var(--mu);font-size:.875rem;margin:.2rem 0}
svg.b{display:block;width:100%;height:26px;margin-top:.3rem;
-webkit-mask:repeating-linear-gradient(90deg,#000 0 calc(1.1111% - 2px),#0000 0 1.1111%);
mask:repeating-linear-gradient(90deg,#000 0 calc(1.1111% - 2px),#0000 0 1.1111%)}
.g{fill:var(--g)}.a{fill:var(--a)}.r{fill:var(--r)}.x{fill:var(--n)}.u{fill:var(--u)}
.ax{display:flex;justify-content:space-between;color:var(--mu);font-size:.75rem}
.i li{border-left:3px solid var(--bd);padding:.2rem .6rem;margin:.4rem 0}
`.replace(/\n/g, "");
