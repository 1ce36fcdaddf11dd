/**
 * The page's script (inline, allowed by its hash in the Content-Security-Policy). Plain
 * browser JavaScript, no build step: it listens to `events` (passing on `?token=`), and
 * rebuilds each panel from every snapshot with DOM calls (never innerHTML, so nothing in a
 * work's params or an error message can become markup). Countdowns tick between snapshots.
 */
export const SCRIPT = String.raw`
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.search).get("token");
  const withToken = (path) => (token ? path + "?token=" + encodeURIComponent(token) : path);
  let snap = null;
  let receivedAt = 0;
  let countdowns = [];

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "testid") el.dataset.testid = v;
      else el.setAttribute(k, String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  const int = (n) => Math.round(n).toLocaleString("en-US");
  function dur(ms) {
    if (!(ms > 0)) return "0 s";
    if (ms < 1000) return Math.round(ms) + " ms";
    const s = ms / 1000;
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + " s";
    const m = Math.floor(s / 60);
    if (m < 60) return m + " min " + Math.floor(s % 60) + " s";
    return Math.floor(m / 60) + " h " + (m % 60) + " min";
  }
  const clock = (t) => new Date(t).toLocaleTimeString("en-GB", { hour12: false });
  const plural = (n, one, many) => int(n) + " " + (n === 1 ? one : many);
  /** The cue's time now, extrapolated from the last snapshot. */
  const now = () => (snap ? snap.at + (performance.now() - receivedAt) : 0);
  /**
   * Text that shows the time until \`at\` (or, with \`up\`, since \`at\`), kept current between
   * snapshots; \`done\` replaces it once \`at\` has passed (until the next snapshot says more).
   */
  function countdown(el, at, before, up, done) {
    const c = { el, at, before, up, done };
    countdowns.push(c);
    showCountdown(c);
  }
  function showCountdown(c) {
    const ms = c.up ? now() - c.at : c.at - now();
    c.el.textContent = !c.up && ms <= 0 && c.done ? c.done : c.before + dur(ms);
  }
  function tickCountdowns() {
    for (const c of countdowns) showCountdown(c);
    if (snap) $("uptime").textContent = "up " + dur(now() - snap.since);
  }
  function bar(used, limit, cls) {
    const fill = h("span", { class: "fill " + (cls || "") });
    fill.style.width = (limit > 0 ? Math.min(100, (used / limit) * 100) : 0) + "%";
    return h("span", { class: "bar", role: "meter", "aria-valuenow": used, "aria-valuemin": 0, "aria-valuemax": limit }, fill);
  }

  function setState(state, text) {
    const el = $("state");
    el.className = "pill " + state;
    el.textContent = text || state;
  }

  function renderTiles(s) {
    const t = s.totals;
    const tiles = [["submitted", t.submitted], ["pending", s.pending], ["running", s.running], ["completed", t.completed], ["failed", t.failed], ["skipped", t.skipped], ["retried", t.retried], ["cancelled", t.cancelled]];
    $("tiles").replaceChildren(...tiles.map(([name, n]) => h("div", { class: "tile " + name }, h("div", { class: "n", testid: "total-" + name }, int(n)), h("div", { class: "l" }, name))));
    $("per-second").textContent = s.perSecond.toFixed(s.perSecond < 10 ? 2 : 1) + " finished/s (last min)";
  }

  function renderStall(s) {
    const el = $("stall");
    el.classList.toggle("on", !!s.stall);
    if (!s.stall) return el.replaceChildren();
    const st = s.stall;
    const items = st.reasons.map((r) => {
      const ex = (s.reasons.find((x) => x.reason === r.reason) || { examples: [] }).examples.slice(0, 3);
      const eg = ex.length ? " e.g. " + ex.map((w) => w.task + " #" + w.id).join(", ") : "";
      return h("li", {}, h("b", {}, int(r.count) + " " + r.reason), ": " + r.text + eg);
    });
    const title = h("strong", { testid: "stall-title" });
    countdown(title, st.at - st.sinceProgressMs, "Stalled: " + plural(st.pending, "work", "works") + " pending, no progress for ", true);
    const cause = s.failures[0] ? h("div", { testid: "stall-failure" }, "The latest failure may be why: " + s.failures[0].task + " #" + s.failures[0].id + " failed at " + clock(s.failures[0].at) + " with " + s.failures[0].error.name + ": " + s.failures[0].error.message) : null;
    el.replaceChildren(title, h("div", {}, "Nothing is running and nothing is due to start. Why the pending works wait:"), h("ul", { testid: "stall-reasons" }, items), cause);
  }

  function renderServices(s) {
    if (!s.services.length) return $("services").replaceChildren(h("p", { class: "empty" }, "No services registered."));
    $("services").replaceChildren(...s.services.map((v) => {
      const id = "svc-" + v.name;
      const rows = [h("div", { class: "row" }, h("span", { class: "label" }, "running"),
        v.concurrent === null ? h("span", { class: "note" }, "no concurrency cap") : bar(v.active, v.concurrent, v.active >= v.concurrent ? "full" : ""),
        h("span", { class: "val", testid: id + "-active" }, v.concurrent === null ? String(v.active) : v.active + "/" + v.concurrent),
        h("span", { class: "note" }, v.concurrent === null ? "" : v.active >= v.concurrent ? "all slots taken" : (v.concurrent - v.active) + " free"))];
      v.rates.forEach((r, i) => rows.push(rateRow(r, id + "-rate-" + i)));
      if (v.pausedUntil !== null) {
        const p = h("div", { class: "paused", testid: id + "-paused" });
        countdown(p, v.pausedUntil, "paused by a RateLimited pushback: resumes in ", false, "paused by a RateLimited pushback: resuming");
        rows.push(p);
      }
      if (v.keyCount > 0) {
        rows.push(h("div", { class: "keys-head", testid: id + "-keys" }, "per key: " + plural(v.keyCount, "key", "keys") + " holding state" + (v.keyCount > v.keys.length ? ", the busiest " + v.keys.length + " shown" : "")));
        for (const k of v.keys) {
          const kid = id + "-key-" + k.key;
          const note = h("span", { class: "note" }, k.rates.map((r) => r.label + " " + int(r.used) + "/" + int(r.limit)).join(" · ") + (k.pausedUntil !== null ? " · paused" : ""));
          if (k.nextStartAt !== null) {
            const next = h("span", { testid: kid + "-next" });
            countdown(next, k.nextStartAt, " · next start in ", false, " · next start due");
            note.append(next);
          }
          rows.push(h("div", { class: "row key", testid: kid }, h("span", { class: "label mono", title: k.key }, k.key),
            bar(k.active, v.concurrent || k.active || 1, v.concurrent !== null && k.active >= v.concurrent ? "full" : ""),
            h("span", { class: "val" }, v.concurrent === null ? String(k.active) : k.active + "/" + v.concurrent),
            note));
        }
      }
      // When the service can start its next work: every window has room and no pause holds.
      const next = h("span", { testid: id + "-next" });
      if (v.nextStartAt !== null) countdown(next, v.nextStartAt, "next start in ", false, "next start due");
      else next.textContent = v.concurrent !== null && v.active >= v.concurrent ? "next start when a slot frees" : "room to start now";
      return h("div", { class: "svc", testid: id }, h("div", { class: "svc-head" }, h("span", {}, v.name), h("span", { class: "q" }, next, " · ", h("span", { testid: id + "-queued" }, int(v.queued) + " queued"))), rows);
    }));
  }

  /** A rate window: use against limit, and the headroom or when the next start fits. */
  function rateRow(r, testid) {
    const unit = r.measure ? " " + r.measure : "";
    const full = r.used >= r.limit;
    const note = h("span", { class: "note", testid: testid + "-note" });
    if (r.nextFreeAt !== null) countdown(note, r.nextFreeAt, (full ? "full" : "too full for the next") + " · next start in ", false, "next start due");
    else note.textContent = "headroom " + int(Math.max(0, r.limit - r.used)) + unit + (full ? " · full" : "");
    return h("div", { class: "row" }, h("span", { class: "label", title: "rate window " + r.label }, r.label), bar(r.used, r.limit, full ? "full" : ""), h("span", { class: "val", testid }, int(r.used) + "/" + int(r.limit)), note);
  }

  function renderReasons(s) {
    $("pending-count").textContent = int(s.pending) + " pending";
    if (!s.reasons.length) return $("reasons").replaceChildren(h("p", { class: "empty" }, "Nothing is waiting."));
    const most = Math.max(...s.reasons.map((r) => r.count));
    $("reasons").replaceChildren(...s.reasons.map((r) => h("div", { class: "reason", testid: "reason-" + r.reason },
      h("div", { class: "top" }, h("span", { class: "name" }, r.reason), bar(r.count, most, "reason"), h("span", { class: "count", testid: "reason-" + r.reason + "-count" }, int(r.count))),
      h("div", { class: "text" }, r.text),
      r.examples.length ? h("ul", {}, r.examples.map((w) => {
        const li = h("li", { testid: "example-" + w.id }, h("span", { class: "mono" }, w.task + " #" + w.id), w.attempt > 1 ? " (attempt " + w.attempt + ")" : "", w.params !== undefined ? h("span", { class: "mono" }, " " + w.params) : "");
        const age = h("span", { class: "note" });
        countdown(age, w.createdAt, " · pending ", true);
        li.append(age);
        return li;
      })) : null)));
  }

  function renderChart(s) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    const W = 600, H = 170, L = 36, B = 20, T = 8;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    const bs = s.throughput.buckets;
    const max = Math.max(1, ...bs.map((b) => b.completed + b.failed + b.skipped));
    const add = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; svg.append(e); return e; };
    const w = (W - L) / bs.length;
    const y = (v) => T + (H - B - T) * (1 - v / max);
    add("line", { x1: L, x2: W, y1: y(0), y2: y(0) });
    add("line", { x1: L, x2: W, y1: y(max), y2: y(max) });
    add("text", { x: L - 4, y: y(max) + 4, "text-anchor": "end" }, int(max));
    add("text", { x: L - 4, y: y(0) + 4, "text-anchor": "end" }, "0");
    bs.forEach((b, i) => {
      let base = 0;
      for (const [k, cls] of [["completed", "c"], ["failed", "f"], ["skipped", "s"]]) {
        if (!b[k]) continue;
        add("rect", { class: cls, x: L + i * w + 0.5, width: Math.max(1, w - 1), y: y(base + b[k]), height: y(base) - y(base + b[k]) });
        base += b[k];
      }
    });
    const span = (bs.length * s.throughput.bucketMs) / 60000;
    add("text", { x: L, y: H - 4 }, span + " min ago");
    add("text", { x: W, y: H - 4, "text-anchor": "end" }, "now");
    svg.setAttribute("aria-label", "works finished per " + s.throughput.bucketMs / 1000 + " s over the last " + span + " minutes");
    $("chart").replaceChildren(svg);
    $("chart-unit").textContent = "works finished per " + s.throughput.bucketMs / 1000 + " s, max " + int(max);
  }

  function failureTable(list, testid, retries) {
    if (!list.length) return h("p", { class: "empty" }, retries ? "No retries." : "No failures.");
    return h("table", { testid },
      h("colgroup", {}, h("col", { class: "col-time" }), h("col", { class: "col-task" }), h("col", { class: "col-id" }), h("col", { class: "col-att" }), h("col", {})),
      h("thead", {}, h("tr", {}, h("th", {}, "time"), h("th", {}, "task"), h("th", {}, "work"), h("th", {}, "attempt"), h("th", {}, retries ? "error, then" : "error"))),
      h("tbody", {}, list.map((f) => h("tr", { testid: testid + "-" + f.id },
        h("td", { class: "mono" }, clock(f.at)), h("td", {}, f.task), h("td", { class: "mono" }, "#" + f.id), h("td", {}, String(f.attempt)),
        h("td", { class: "err" }, f.error.name + ": " + f.error.message, f.retry ? h("span", { class: "note" }, f.retry.pushback ? " · pushback, service paused " + dur(f.retry.delayMs) : " · retry in " + dur(f.retry.delayMs)) : null)))));
  }

  function render(s) {
    snap = s;
    receivedAt = performance.now();
    countdowns = [];
    setState(s.started ? "running" : "stopped");
    renderTiles(s);
    renderStall(s);
    renderServices(s);
    renderReasons(s);
    renderChart(s);
    $("failures").replaceChildren(failureTable(s.failures, "failure", false));
    $("retries").replaceChildren(failureTable(s.retries, "retry", true));
    $("updated").textContent = "snapshot " + s.seq;
    tickCountdowns();
  }

  const events = new EventSource(withToken("events"));
  events.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
  events.addEventListener("closed", (e) => {
    events.close();
    const why = JSON.parse(e.data).reason;
    setState("closed", why === "stopped" ? "closed: the cue stopped" : "closed");
  });
  events.addEventListener("error", () => { if (events.readyState !== EventSource.CLOSED) setState("reconnecting", "reconnecting…"); });
  setInterval(tickCountdowns, 250);
})();
`;
