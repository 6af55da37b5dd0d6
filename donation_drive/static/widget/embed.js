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

  var host = document.createElement("div");
  host.className = "donation-drive-widget";
  script.parentNode.insertBefore(host, script.nextSibling);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var style = document.createElement("style");
  style.textContent = [
    // !important: inside a shadow root, :host's important rules beat the host page's
    // important rules (e.g. "* { color: red !important }"), normal ones do not.
    ":host{all:initial!important;display:block!important}",
    ".w{box-sizing:border-box;max-width:480px;padding:12px 14px;border:1px solid #d0d7de;",
    "border-radius:8px;background:#fff;color:#1f2328;font:15px/1.4 system-ui,sans-serif}",
    ".t{margin:0 0 6px;font-size:16px;font-weight:600}",
    ".r{font-size:22px;font-weight:700;color:#116329}",
    ".track{height:16px;border-radius:8px;background:#e6e9ec;overflow:hidden}",
    ".fill{height:100%;border-radius:8px;background:#1a7f37;width:0;",
    "transition:width .6s ease-out}",
    ".track{display:flex}.fill{flex:none}.match{height:100%;background:#8250df;width:0;",
    "flex:none;transition:width .6s ease-out}.x{margin:-4px 0 10px;color:#3d444d;font-size:13px}",
    "@media (prefers-reduced-motion:reduce){.fill,.match{transition:none}}",
    ".rl{margin:0 0 10px;padding:0;list-style:none;font-size:13px}.rl li{margin:2px 0}",
    ".rm{display:block;color:#3d444d;font-style:italic}[hidden]{display:none!important}",
    ".m{margin:6px 0 10px;color:#3d444d;font-size:14px}",
    "a{display:inline-block;padding:6px 14px;border-radius:6px;background:#1a7f37;color:#fff;",
    "font-weight:600;text-decoration:none}"
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
    var figures = el("p");
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
    var recent = el("ul", "rl");
    var link = el("a", "");
    [title, figures, bar, meta, stretch, pledge, recent, link].forEach(function (node) {
      box.appendChild(node);
    });
    root.appendChild(box);
    return { box: box, title: title, raised: raised, of: of, goal: goal, bar: bar, fill: fill,
             match: match, meta: meta, stretch: stretch, pledge: pledge, recent: recent,
             link: link };
  }

  function percentOf(amount, whole) {
    return Math.min(Math.floor(amount * 1000 / whole) / 10, 100);
  }

  function line(node, text) {
    node.textContent = text;
    node.hidden = !text;
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
