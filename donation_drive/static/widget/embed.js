/* Donation Drive widget, script-tag embed.
 *
 *   <script src="https://donate.example.org/widget/embed.js" data-drive="SLUG" async></script>
 *
 * Renders the progress widget where the tag stands, inside a shadow root so the host
 * page's styles and ours never meet. Reads only the public progress JSON (CORS open)
 * and builds the DOM with textContent, so nothing from the server is parsed as HTML.
 *
 * Live: while the host page is visible it asks again every few seconds (optional
 * data-refresh="SECONDS", at least 2), as a conditional request (cache: "no-cache":
 * the browser sends the ETag it holds as If-None-Match, and a 304 costs no body),
 * backing off up to a minute while the figures stay the same, and stops while the
 * page is hidden (Page Visibility API), asking at once when it is shown again. The
 * bar moves with a CSS transition, none under prefers-reduced-motion.
 *
 * Words and figures are the server's (the JSON's "text", Babel-formatted), in the
 * drive's language or the one data-lang="de" asks for (data-locale, the older name,
 * still works); a language without a catalog falls back to the drive's.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var slug = script.getAttribute("data-drive");
  var base = new URL(script.src, document.baseURI).origin;
  var lang = script.getAttribute("data-lang") || script.getAttribute("data-locale") || "";
  var asked = Number(script.getAttribute("data-refresh"));
  var BASE = asked >= 2 ? asked * 1000 : 5000, MAX = 60000, FACTOR = 1.5;

  // The look: data-theme, data-layout, data-accent, else the drive's defaults (the
  // JSON's "widget"). A value the widget does not know is reported and left out.
  var CHOICES = { theme: ["light", "dark", "auto"], layout: ["compact", "standard", "banner"] };
  function option(name) {
    var value = script.getAttribute("data-" + name);
    if (!value) { return null; }
    var ok = name === "accent" ? /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value)
      : CHOICES[name].indexOf(value) >= 0;
    if (ok) { return value; }
    console.error("Donation Drive widget: data-" + name + " must be " + (name === "accent"
      ? "a hex colour such as #c0392b" : "one of " + CHOICES[name].join(", ")) +
      "; using the drive's default");
    return null;
  }
  function hex6(value) {
    var digits = value.replace("#", "").toLowerCase();
    return digits.length === 3 ? digits.replace(/(.)/g, "$1$1") : digits;
  }
  var asks = { theme: option("theme"), layout: option("layout"), accent: option("accent") };

  var host = document.createElement("div");
  host.className = "donation-drive-widget";
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  // The same palettes as the iframe page (widget.css, widget/themes.py): light, dark
  // for .dd-theme-dark and, under the reader's dark preference, for .dd-theme-auto.
  var LIGHT = "--dd-background:#ffffff;--dd-text:#1f2328;--dd-muted:#3d444d;" +
    "--dd-border:#d0d7de;--dd-track:#e6e9ec;--dd-match:#8250df;--dd-accent:#1a7f37;" +
    "--dd-accent-text:#116329;--dd-button:#1a7f37;--dd-on-button:#ffffff;--dd-focus:#0969da";
  var DARK = "--dd-background:#0d1117;--dd-text:#e6edf3;--dd-muted:#9198a1;" +
    "--dd-border:#3d444d;--dd-track:#30363d;--dd-match:#a371f7;--dd-accent:#2ea043;" +
    "--dd-accent-text:#3fb950;--dd-button:#238636;--dd-on-button:#ffffff;--dd-focus:#58a6ff";
  var style = document.createElement("style");
  style.textContent = [
    // !important: inside a shadow root, :host's important rules beat the host page's
    // important rules (e.g. "* { color: red !important }"), normal ones do not.
    ":host{all:initial!important;display:block!important;container-type:inline-size!important}",
    ".w{" + LIGHT + "}.w.dd-theme-dark{" + DARK + "}",
    "@media (prefers-color-scheme:dark){.w.dd-theme-auto{" + DARK + "}}",
    ".w{box-sizing:border-box;max-width:480px;padding:12px 14px;",
    "border:1px solid var(--dd-border);border-radius:8px;background:var(--dd-background);",
    "color:var(--dd-text);font:15px/1.4 system-ui,sans-serif;overflow-wrap:anywhere}",
    ".t{margin:0 0 6px;font-size:16px;font-weight:600}.f{margin:0 0 8px}",
    ".r{font-size:22px;font-weight:700;color:var(--dd-accent-text)}.g{color:var(--dd-muted)}",
    ".track{height:16px;border-radius:8px;background:var(--dd-track);overflow:hidden}",
    ".fill{height:100%;border-radius:8px;background:var(--dd-accent);width:0;",
    "transition:width .6s ease-out}",
    ".track{display:flex}.fill{flex:none}.match{height:100%;background:var(--dd-match);",
    "width:0;flex:none;transition:width .6s ease-out}",
    ".x{margin:-4px 0 10px;color:var(--dd-muted);font-size:13px}",
    "@media (prefers-reduced-motion:reduce){.fill,.match{transition:none}}",
    ".rl{margin:0 0 10px;padding:0;list-style:none;font-size:13px}.rl li{margin:2px 0}",
    ".rm{display:block;color:var(--dd-muted);font-style:italic}[hidden]{display:none!important}",
    ".m{margin:6px 0 10px;color:var(--dd-muted);font-size:14px}",
    "a{display:inline-block;padding:6px 14px;border-radius:6px;background:var(--dd-button);",
    "color:var(--dd-on-button);font-weight:600;text-decoration:none}",
    "a:focus-visible{outline:3px solid var(--dd-focus);outline-offset:2px}",
    // Compact: a sidebar of 200-300 px.
    ".dd-layout-compact{max-width:300px;padding:10px 12px;font-size:14px}",
    ".dd-layout-compact .t{font-size:15px}.dd-layout-compact .r{font-size:19px}",
    ".dd-layout-compact .m{font-size:13px}.dd-layout-compact .x{font-size:12px}",
    ".dd-layout-compact a{display:block;text-align:center}",
    // Banner: as wide as the page, the donate button beside the figures when it fits.
    ".dd-layout-banner{max-width:none}",
    "@container (min-width:480px){.dd-layout-banner{display:grid;",
    "grid-template-columns:minmax(0,1fr) auto;column-gap:20px;align-items:center}",
    ".dd-layout-banner>*{grid-column:1}",
    ".dd-layout-banner>a{grid-column:2;grid-row:1/span 9;padding:10px 22px}}"
  ].join("");
  root.appendChild(style);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var parts = null;

  function build() {
    var box = el("section", "w");
    var title = el("p", "t");
    var figures = el("p", "f");
    var raised = el("span", "r");
    var goal = el("span", "g");
    var of = document.createTextNode(" ");
    figures.appendChild(raised);
    figures.appendChild(of);
    figures.appendChild(goal);
    var bar = el("div", "track");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    var fill = el("div", "fill");
    var match = el("div", "match");
    bar.appendChild(fill);
    bar.appendChild(match);
    var meta = el("p", "m");
    var stretch = el("p", "x s");
    var pledge = el("p", "x p");
    var counting = el("p", "x c");
    var recent = el("ul", "rl");
    var link = el("a", "");
    [title, figures, bar, meta, stretch, pledge, counting, recent, link].forEach(function (node) {
      box.appendChild(node);
    });
    root.appendChild(box);
    return { box: box, title: title, raised: raised, of: of, goal: goal, bar: bar, fill: fill,
             match: match, meta: meta, stretch: stretch, pledge: pledge, counting: counting,
             recent: recent, link: link, accent: null };
  }

  function percentOf(amount, whole) {
    return Math.min(Math.floor(amount * 1000 / whole) / 10, 100);
  }

  function line(node, text) {
    node.textContent = text;
    node.hidden = !text;
  }

  function look(defaults) {
    var theme = asks.theme || defaults.theme || "light";
    var layout = asks.layout || defaults.layout || "standard";
    var accent = asks.accent ? "#" + hex6(asks.accent) : defaults.accent;
    parts.box.className = "w dd-widget dd-theme-" + theme + " dd-layout-" + layout +
      (accent ? " dd-accent" : "");
    if (accent && accent !== parts.accent) {
      // The accent's colours, contrast-checked by the server (widget/themes.py).
      var sheet = document.createElement("link");
      sheet.rel = "stylesheet";
      sheet.href = base + "/widget/accent/" + hex6(accent) + ".css";
      root.insertBefore(sheet, parts.box);
      parts.accent = accent;
    }
  }

  function render(data) {
    if (!parts) { parts = build(); }
    // The server's words and figures (widget/presentation.py); only the bar's widths
    // are worked out here.
    var text = data.text;
    var target = data.target_amount;
    var shown = percentOf(data.counted_amount, target);
    var own = shown, matched = 0, m = data.match;
    if (m) {
      own = percentOf(data.raised_amount, target);
      matched = Math.min(percentOf(m.matched_amount, target), 100 - own);
    }
    look(data.widget || {});
    host.lang = text.lang;
    parts.box.setAttribute("aria-label", data.title);
    parts.title.textContent = data.title;
    parts.raised.textContent = text.raised;
    parts.of.textContent = " " + text.raised_of + " ";
    parts.goal.textContent = text.goal;
    parts.bar.setAttribute("aria-label", text.progress_label);
    parts.bar.setAttribute("aria-valuenow", String(shown));
    parts.bar.setAttribute("aria-valuetext", text.value_text);
    parts.fill.style.width = own + "%";
    parts.match.style.width = matched + "%";
    line(parts.stretch, text.stretch_line);
    line(parts.pledge, text.match_line);
    // The counting rule line, in the server's words (widget/presentation.py).
    line(parts.counting, data.counting ? data.counting.line : "");
    // Recent donors (a drive's opt-in): names and messages only ever as text.
    var gifts = data.recent_donors || [];
    while (parts.recent.firstChild) { parts.recent.removeChild(parts.recent.firstChild); }
    gifts.forEach(function (gift, i) {
      var item = el("li", "", text.recent[i].name + " \u00b7 " + text.recent[i].amount);
      if (gift.message) { item.appendChild(el("q", "rm", gift.message)); }
      parts.recent.appendChild(item);
    });
    parts.recent.hidden = !gifts.length;
    parts.recent.setAttribute("aria-label", text.recent_title);
    parts.meta.textContent = text.percent + " \u00b7 " + text.donors + " \u00b7 " + text.status;
    parts.link.textContent = text.donate;
    parts.link.setAttribute("aria-label", text.donate_label);
    parts.link.href = base + "/donate/" + encodeURIComponent(data.slug) +
      (lang ? "?lang=" + encodeURIComponent(text.lang) : "");
  }

  if (!slug) { return; }
  var url = base + "/api/v1/drives/" + encodeURIComponent(slug) +
    (lang ? "?lang=" + encodeURIComponent(lang) : "");
  var etag = null, delay = BASE, timer = null, busy = false, gone = false;

  function check() {
    return fetch(url, { mode: "cors", cache: "no-cache", credentials: "omit" })
      .then(function (r) {
        if (r.status === 404) { gone = true; }  // no such drive: stop asking
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        var tag = r.headers.get("ETag");
        if (etag !== null && tag === etag) { return false; }
        var first = etag === null;
        etag = tag;
        return r.json().then(function (data) { render(data); return !first; });
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (!gone && document.visibilityState !== "hidden") { timer = setTimeout(tick, delay); }
  }

  function tick() {
    timer = null;
    if (busy || gone) { return; }
    busy = true;
    check().then(function (changed) {
      delay = changed ? BASE : Math.min(MAX, delay * FACTOR);
    }, function () {
      if (!parts) { host.textContent = ""; }
      delay = Math.min(MAX, delay * 2);
    }).then(function () { busy = false; schedule(); });
  }

  document.addEventListener("visibilitychange", function () {
    clearTimeout(timer);
    timer = null;
    if (document.visibilityState !== "hidden") { delay = BASE; tick(); }
  });
  tick();
})();
