// The HTML report's style sheet: a plain engineering look (light, and dark with the system's
// prefers-color-scheme), the ladder's call colours `c0` … `c9`, verdict colours, and the timeline.
// No @import, no url(): the report loads nothing.

/**
 * The report's CSS, inlined in its `<style>` element.
 *
 * @example
 * ```ts
 * const head = `<style>${REPORT_CSS}</style>`;
 * ```
 */
export const REPORT_CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;--accent:#0969da;
--pass:#1a7f37;--fail:#cf222e;--stop:#9a6700;--inv:#8250df;--run:#0969da;--grid:rgba(31,35,40,.08);--tipbg:#1f2328;--tipfg:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--panel:#151b23;--accent:#4493f8;
--pass:#3fb950;--fail:#f85149;--stop:#d29922;--inv:#ab7df8;--run:#4493f8;--grid:rgba(240,246,252,.08);--tipbg:#e6edf3;--tipfg:#0d1117}}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--fg);font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
body{margin:0}
main{max-width:1900px;margin:0 auto;padding:14px 22px 40px}
code,pre,kbd,svg.ladder,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
code{font-size:12px}
a{color:var(--accent)}
h1{font-size:19px;margin:0 0 2px}
h2{font-size:17px;margin:0;display:inline}
h3{font-size:14px;margin:18px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.meta,.file,.empty,.legend{color:var(--muted)}
.page-h{border-bottom:1px solid var(--line);padding-bottom:10px}
.runs{margin:8px 0 0;padding-left:0;list-style:none}
.runs li{margin:2px 0}
.runs .why{color:var(--muted);margin-left:6px}
.recs{padding-left:18px}
.recs li{margin:2px 0}
.recs .file{margin-left:6px}
.badge{display:inline-block;min-width:70px;text-align:center;font-weight:700;letter-spacing:.06em;font-size:12px;padding:2px 8px;border-radius:4px;color:var(--bg);vertical-align:2px}
.v-passed .badge{background:var(--pass)}.v-failed .badge{background:var(--fail)}.v-stopped .badge{background:var(--stop)}.v-invalid .badge{background:var(--inv)}
section.run{border:1px solid var(--line);border-radius:8px;margin:18px 0;padding:12px 16px 16px}
section.run.v-failed{border-color:var(--fail)}
.verdict{border-left:5px solid var(--pass);padding:2px 0 2px 12px}
.v-failed .verdict{border-left-color:var(--fail)}.v-stopped .verdict{border-left-color:var(--stop)}.v-invalid .verdict{border-left-color:var(--inv)}
.vline{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline}
.outcome{margin:6px 0}
.failure{margin:8px 0;padding:8px 12px;border:1px solid var(--fail);border-radius:6px;background:color-mix(in srgb,var(--fail) 7%,var(--bg))}
.failure p{margin:3px 0}
.freason{font-weight:600;color:var(--fail);white-space:pre-wrap;word-break:break-word}
.excerpt{margin:6px 0 0;padding:6px 8px;overflow:auto;font-size:12px;background:var(--bg);border:1px solid var(--line);border-radius:4px;max-height:220px}
.facts{display:flex;flex-wrap:wrap;gap:2px 22px;margin:8px 0 0}
.facts div{display:flex;gap:6px}.facts dt{color:var(--muted)}.facts dd{margin:0}
.ltools{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center;margin:6px 0 8px}
.lt-title{font-weight:600}
.lg-calls{display:flex;flex-wrap:wrap;gap:4px 14px;max-height:5.2em;overflow:auto;flex:0 1 auto}
.exh{margin:6px 0 0;color:var(--muted);font-size:12px}
.lg{display:inline-flex;align-items:center;gap:5px;cursor:pointer;white-space:nowrap}
.lg small{color:var(--muted)}
.sw{display:inline-block;width:18px;height:4px;border-radius:2px;background:var(--cc)}
.keys{color:var(--muted);display:inline-flex;align-items:center;gap:5px;flex-wrap:wrap}
.k-ln{stroke:var(--muted);stroke-width:2}.k-re{stroke-dasharray:5 4}.k-gl{fill:var(--muted)}.k-rx{fill:none;stroke:var(--muted);stroke-width:2}
.k-hold{fill:var(--muted);opacity:.45}.k-play{fill:var(--muted);opacity:.8}
button{font:inherit;padding:1px 8px;border:1px solid var(--line);border-radius:4px;background:var(--panel);color:var(--fg);cursor:pointer}
.lwrap{display:grid;grid-template-columns:minmax(0,1fr) minmax(340px,36%);gap:12px;align-items:start}
@media (max-width:1100px){.lwrap{grid-template-columns:minmax(0,1fr)}}
.lscroll{position:relative;overflow:auto;max-height:76vh;border:1px solid var(--line);border-radius:6px;background:var(--bg);outline:none}
.lhead{position:sticky;top:0;height:42px;background:var(--panel);border-bottom:1px solid var(--line);z-index:3}
.lh-col{position:absolute;top:4px;text-align:center;white-space:nowrap;overflow:hidden}
.lh-col b,.lh-col span{display:block;overflow:hidden;text-overflow:ellipsis}
.lh-col span{font-size:11px;color:var(--muted);font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace}
.lh-col.remote b{font-style:italic}
.lh-time,.lh-call{position:absolute;top:13px;font-size:11px;color:var(--muted)}
.lh-time{left:0;text-align:right}
svg.ladder{display:block;font-size:12px}
.life{stroke:var(--line);stroke-width:1.5}.life.remote{stroke-dasharray:5 4}
.row.arrow{cursor:pointer;outline:none}
.hit{fill:transparent;pointer-events:all}
.arrow:hover .hit{fill:color-mix(in srgb,var(--cc) 9%,transparent)}
.arrow:focus-visible .hit,.arrow.sel .hit{fill:color-mix(in srgb,var(--cc) 16%,transparent);stroke:var(--cc);stroke-width:1}
.arrow .ln{stroke:var(--cc);stroke-width:1.7;fill:none}
.arrow .hd{fill:var(--cc)}
.arrow.retrans .ln{stroke-dasharray:6 4}
.arrow.retrans .lb{font-style:italic}
.arrow.sel .ln{stroke-width:3}
.arrow .lb{fill:var(--fg);font-weight:600}
.arrow .sdp{fill:var(--muted);font-size:11px}
.tm{fill:var(--muted);font-size:11px}
.ck{fill:var(--cc);font-size:11px}
.mark text{paint-order:stroke;stroke:var(--bg);stroke-width:4px;stroke-linejoin:round}
.mark .mt{fill:var(--cc);font-size:11px}
.mark .gl{fill:var(--cc)}
.mark.dtmf-received .gl{fill:var(--bg);stroke:var(--cc);stroke-width:2}
.fail .fl{stroke:var(--fail);stroke-width:1;stroke-dasharray:6 3}
.fail.fatal .fl{stroke-width:2}
.fail .gl{stroke:var(--fail);stroke-width:2.5;fill:none}
.fail .mt{fill:var(--fail);font-weight:600}
.period{fill:var(--cc);opacity:.4}.period.playback{opacity:.75}.period.open{opacity:.25}
.flash .hit,.flash .fl{animation:flash 1.6s ease-out 1}
@keyframes flash{0%{fill:color-mix(in srgb,var(--fail) 40%,transparent);stroke-width:6}100%{}}
.panel{position:sticky;top:8px;max-height:76vh;overflow:auto;border:1px solid var(--line);border-radius:6px;background:var(--panel);padding:8px 10px}
.panel .ph{color:var(--muted);margin-bottom:6px}
.panel .ph b{color:var(--fg);font-size:14px}
.panel .pm{font-size:12px}
.raw{margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px;line-height:1.4}
.raw .sl{font-weight:700}.raw .hn{color:var(--accent)}.raw .bd{color:var(--muted)}
.c0{--cc:#0969da}.c1{--cc:#bc4c00}.c2{--cc:#8250df}.c3{--cc:#08857a}.c4{--cc:#bf3989}
.c5{--cc:#7d4e00}.c6{--cc:#4d7a00}.c7{--cc:#3e4fbf}.c8{--cc:#a37200}.c9{--cc:#57606a}.cx{--cc:#6e7781}
@media (prefers-color-scheme:dark){.c0{--cc:#4493f8}.c1{--cc:#f0883e}.c2{--cc:#ab7df8}.c3{--cc:#3bc1b0}.c4{--cc:#f778ba}
.c5{--cc:#c69026}.c6{--cc:#9cc34a}.c7{--cc:#8b96f8}.c8{--cc:#e3b341}.c9{--cc:#9198a1}.cx{--cc:#8b949e}}
.tl{border:1px solid var(--line);border-radius:6px}
.tl-row{display:grid;grid-template-columns:minmax(260px,34%) minmax(0,1fr);min-height:22px;border-top:1px solid var(--line)}
.tl-row:first-child{border-top:0}
.tl-row.fatal{background:color-mix(in srgb,var(--fail) 8%,transparent)}
.tl-label{padding:2px 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.tl-label code{color:var(--muted)}
.tl-label .dur{color:var(--muted)}
.st{font-size:11px;padding:0 5px;border-radius:3px;color:var(--bg)}
.tl-track{position:relative;margin-right:10px;background-image:linear-gradient(to right,var(--grid) 1px,transparent 1px);background-size:var(--tick) 100%}
.axis .tl-label{color:var(--muted);font-size:11px}
.axis .tl-track span{position:absolute;top:3px;font-size:11px;color:var(--muted);transform:translateX(-50%);white-space:nowrap}
.axis .tl-track span:first-child{transform:none}
.tl-inst{padding:4px 8px;font-weight:700;background:var(--panel);border-top:1px solid var(--line)}
.tl-inst:first-child{border-top:0}
.bar,.seg{position:absolute;top:4px;bottom:4px;min-width:3px;border-radius:3px;outline:none;cursor:default}
.bar:focus-visible,.seg:focus-visible,.pt:focus-visible{box-shadow:0 0 0 2px var(--bg),0 0 0 4px var(--accent)}
.bar.fatal{box-shadow:0 0 0 2px var(--bg),0 0 0 3px var(--fail)}
.s-completed{background:var(--pass)}.s-failed{background:var(--fail)}.s-stopped{background:var(--stop)}
.s-running{background:repeating-linear-gradient(45deg,var(--run) 0 4px,transparent 4px 8px);border:1px solid var(--run)}
.s-pending{background:var(--muted)}
.st.s-running{color:var(--run);background:none;border:1px solid var(--run)}
.seg{background:var(--cc);opacity:.55}.seg.playback{opacity:.85;top:7px;bottom:7px}
.pt{position:absolute;top:3px;width:14px;height:15px;margin-left:-7px;outline:none}
.pt::before{content:"";position:absolute;left:2px;top:3px;width:9px;height:9px;background:var(--cc);transform:rotate(45deg)}
.pt.dtmf-received::before{background:var(--bg);border:2px solid var(--cc);width:6px;height:6px}
.tip{display:none;position:absolute;top:calc(100% + 4px);left:0;z-index:6;min-width:220px;max-width:520px;padding:5px 8px;border-radius:4px;
background:var(--tipbg);color:var(--tipfg);font-size:12px;white-space:normal;word-break:break-word;box-shadow:0 2px 8px rgba(0,0,0,.25)}
.tip-r{left:auto;right:0}
.tip .err{color:#ff9492;font-weight:600}
.bar:hover .tip,.bar:focus .tip,.seg:hover .tip,.seg:focus .tip,.pt:hover .tip,.pt:focus .tip{display:block}
.key{display:inline-block;width:14px;height:10px;border-radius:2px;margin-left:8px;vertical-align:-1px}
`;
