/** The page's style sheet (inline, allowed by its hash in the Content-Security-Policy). */
export const STYLE = `
:root { --bg: #f6f7f9; --panel: #fff; --ink: #1c2430; --muted: #5f6b7a; --line: #e1e5ea; --ok: #2f9e5b; --bad: #d64545; --warn: #c77c02; --accent: #3867d6; --skip: #9aa5b1; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--ink); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 20px; padding: 14px 24px; background: var(--panel); border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 18px; }
header .meta { color: var(--muted); }
.pill { display: inline-block; padding: 1px 10px; border-radius: 10px; font-weight: 600; font-size: 12px; background: var(--line); }
.pill.running { background: #dff3e6; color: #1d6b3c; }
.pill.stopped, .pill.closed { background: #eceff3; color: var(--muted); }
.pill.reconnecting { background: #fff1d6; color: #8a5600; }
main { padding: 16px 24px 32px; max-width: 1500px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; margin-bottom: 16px; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile .n { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.tile.failed .n { color: var(--bad); }
.tile.completed .n { color: var(--ok); }
#stall { display: none; border: 1px solid #f0b4b4; background: #fdeeee; color: #7d1f1f; border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
#stall.on { display: block; }
#stall strong { display: block; font-size: 15px; margin-bottom: 4px; }
#stall ul { margin: 6px 0 0; padding-left: 20px; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
@media (max-width: 900px) { .grid { grid-template-columns: minmax(0, 1fr); } }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
section h2 { margin: 0 0 10px; font-size: 15px; }
section h2 small { font-weight: 400; color: var(--muted); margin-left: 6px; }
.empty { color: var(--muted); font-style: italic; }
.svc { border-top: 1px solid var(--line); padding: 10px 0; }
.svc:first-of-type { border-top: 0; padding-top: 0; }
.svc-head { display: flex; justify-content: space-between; gap: 10px; font-weight: 600; }
.svc-head .q { font-weight: 400; color: var(--muted); }
.row { display: grid; grid-template-columns: 90px minmax(80px, 1fr) 70px minmax(150px, auto); align-items: center; gap: 10px; margin-top: 6px; font-variant-numeric: tabular-nums; }
.row .label { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.row .val { text-align: right; font-weight: 600; }
.row .note { color: var(--muted); font-size: 12px; }
.bar { display: block; height: 10px; border-radius: 5px; background: #edf0f4; overflow: hidden; }
.bar .fill { display: block; height: 100%; background: var(--accent); transition: width .25s; }
.bar .fill.full { background: var(--warn); }
.bar .fill.reason { background: #8e9aaf; }
.keys-head { margin-top: 8px; color: var(--muted); font-size: 12px; }
.row.key { margin-top: 3px; font-size: 12px; }
.paused { margin-top: 6px; color: #8a5600; font-weight: 600; }
.reason { border-top: 1px solid var(--line); padding: 8px 0; }
.reason:first-of-type { border-top: 0; padding-top: 0; }
.reason .top { display: grid; grid-template-columns: 110px minmax(60px, 1fr) 70px; gap: 10px; align-items: center; }
.reason .name { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.reason .count { text-align: right; font-weight: 650; font-variant-numeric: tabular-nums; }
.reason .text { color: var(--muted); font-size: 12px; margin-top: 3px; }
.reason ul { margin: 4px 0 0; padding-left: 18px; font-size: 12px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; table-layout: fixed; }
th, td { text-align: left; padding: 5px 6px; border-top: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 600; border-top: 0; font-size: 12px; }
td.err { color: var(--bad); }
.col-time { width: 80px; } .col-task { width: 110px; } .col-id { width: 60px; } .col-att { width: 70px; }
svg.chart { width: 100%; height: 170px; display: block; }
svg.chart .c { fill: var(--ok); } svg.chart .f { fill: var(--bad); } svg.chart .s { fill: var(--skip); }
svg.chart text { fill: var(--muted); font-size: 11px; }
svg.chart line { stroke: var(--line); }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin-top: 4px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.legend .c { background: var(--ok); } .legend .f { background: var(--bad); } .legend .s { background: var(--skip); }
.stack { display: grid; gap: 16px; align-content: start; }
`;
