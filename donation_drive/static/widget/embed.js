/* Donation Drive widget, script-tag embed.
 *
 *   <script src="https://donate.example.org/widget/embed.js" data-drive="SLUG" async></script>
 *
 * Renders the progress widget where the tag stands, inside a shadow root so the host
 * page's styles and ours never meet. Reads only the public progress JSON (CORS open)
 * and builds the DOM with textContent, so nothing from the server is parsed as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var slug = script.getAttribute("data-drive");
  var base = new URL(script.src, document.baseURI).origin;
  var locale = script.getAttribute("data-locale") || undefined;

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
    ".fill{height:100%;border-radius:8px;background:#1a7f37;width:0}",
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

  function money(minor, currency) {
    var digits = new Intl.NumberFormat(locale, { style: "currency", currency: currency })
      .resolvedOptions().maximumFractionDigits;
    var major = minor / Math.pow(10, digits);
    var whole = Number.isInteger(major);
    return new Intl.NumberFormat(locale, {
      style: "currency", currency: currency,
      minimumFractionDigits: whole ? 0 : digits, maximumFractionDigits: whole ? 0 : digits
    }).format(major);
  }

  function days(n) { return n + (n === 1 ? " day" : " days"); }

  // The same words as the server's widget (widget/presentation.py: schedule_status).
  function status(data) {
    if (data.state === "upcoming") { return "Starts in " + days(data.starts_in_days); }
    if (data.state === "ended") { return "Ended"; }
    return data.days_left === 0 ? "Ends today" : days(data.days_left) + " left";
  }

  function render(data) {
    var box = el("section", "w");
    box.setAttribute("aria-label", data.title);
    box.appendChild(el("p", "t", data.title));
    var figures = el("p");
    figures.appendChild(el("span", "r", money(data.raised_amount, data.currency)));
    figures.appendChild(document.createTextNode(" raised of "));
    figures.appendChild(el("span", "g", money(data.goal_amount, data.currency)));
    box.appendChild(figures);
    var bar = el("div", "track");
    var shown = Math.min(data.percent, 100);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Progress toward the goal");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(shown));
    bar.setAttribute("aria-valuetext", data.percent + "% of the goal");
    var fill = el("div", "fill");
    fill.style.width = shown + "%";
    bar.appendChild(fill);
    box.appendChild(bar);
    var n = data.donor_count;
    box.appendChild(el("p", "m", data.percent + "% \u00b7 " + n +
      (n === 1 ? " donor" : " donors") + " \u00b7 " + status(data)));
    var link = el("a", "", "Donate");
    link.href = base + "/donate/" + encodeURIComponent(data.slug);
    box.appendChild(link);
    while (root.childNodes.length > 1) { root.removeChild(root.lastChild); }
    root.appendChild(box);
  }

  if (!slug) { return; }
  fetch(base + "/api/v1/drives/" + encodeURIComponent(slug), { mode: "cors" })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(render)
    .catch(function () { host.textContent = ""; });
})();
