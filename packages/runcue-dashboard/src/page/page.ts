import { createHash } from "node:crypto";
import { SCRIPT } from "./script.js";
import { STYLE } from "./style.js";

/** The dashboard page and the Content-Security-Policy that allows exactly its inline script and style. */
export interface Page {
  html: string;
  csp: string;
}

const sha256 = (text: string): string => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page, with `title` in its header. No external resources: the style and script are inline
 * and the policy allows only them (by hash), connections to this origin, and no framing.
 */
export function renderPage(title: string): Page {
  const t = escapeHtml(title);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t} · runcue dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${t}</h1>
<span id="state" class="pill" data-testid="state">connecting…</span>
<span class="meta" id="uptime" data-testid="uptime"></span>
<span class="meta" id="per-second" data-testid="per-second"></span>
<span class="meta" id="updated" data-testid="updated"></span>
</header>
<main>
<div class="tiles" id="tiles"></div>
<div id="stall" data-testid="stall" role="alert"></div>
<div class="grid">
<div class="stack">
<section><h2>Services <small>slots, rate windows, queues</small></h2><div id="services"></div></section>
<section><h2>Throughput <small id="chart-unit"></small></h2><div id="chart"></div>
<div class="legend"><span><i class="c"></i>completed</span><span><i class="f"></i>failed</span><span><i class="s"></i>skipped</span></div></section>
<section><h2>Recent retries <small>and RateLimited pushbacks</small></h2><div id="retries"></div></section>
</div>
<div class="stack">
<section><h2>Why work waits <small id="pending-count"></small></h2><div id="reasons" data-testid="reasons"></div></section>
<section><h2>Recent failures <small>newest first</small></h2><div id="failures"></div></section>
</div>
</div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, csp };
}
