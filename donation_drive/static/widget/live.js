/* Donation Drive widget, iframe page: keeps the figures live while the page is seen.
 *
 * Asks for this same page again with the browser's conditional request (the ETag
 * it holds, sent as If-None-Match; a 304 costs no body), every few seconds while
 * the page is visible, backing off while nothing changes, and not at all while the
 * page is hidden (Page Visibility API). New figures are copied into the page from
 * the server's own rendering (same formatting, same words), so this file knows
 * nothing about money. The bar's move is a CSS transition, off under
 * prefers-reduced-motion (widget.css).
 */
(function () {
  "use strict";
  var BASE = 5000, MAX = 60000, FACTOR = 1.5;
  var asked = Number(new URLSearchParams(location.search).get("refresh"));
  var base = asked >= 2 ? asked * 1000 : BASE;
  var delay = base, timer = null, busy = false, etag = null;

  function update(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var nodes = fresh.querySelectorAll("[data-live] [data-testid]");
    for (var i = 0; i < nodes.length; i++) {
      var from = nodes[i];
      var to = document.querySelector('[data-live] [data-testid="' + from.getAttribute("data-testid") + '"]');
      if (!to) { continue; }
      if (to.getAttribute("data-testid") === "recent") {
        // The server's own escaped markup, parsed inert by DOMParser, copied over.
        to.replaceChildren.apply(to, Array.prototype.map.call(from.childNodes, function (n) {
          return document.importNode(n, true);
        }));
        continue;
      }
      if (!from.children.length && to.textContent !== from.textContent) {
        to.textContent = from.textContent;
      }
      to.hidden = from.hidden;
      ["aria-valuenow", "aria-valuetext"].forEach(function (name) {
        var value = from.getAttribute(name);
        if (value !== null) { to.setAttribute(name, value); }
      });
      ["width", "x"].forEach(function (name) {
        var value = from.getAttribute(name);
        if (value !== null && to.namespaceURI === "http://www.w3.org/2000/svg") {
          // Through CSSOM too (allowed by the page's CSP), so the bar transitions.
          to.style[name] = value;
          to.setAttribute(name, value);
        }
      });
    }
  }

  function check() {
    return fetch(location.href, { cache: "no-cache", credentials: "omit" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      var tag = r.headers.get("ETag");
      if (etag !== null && tag === etag) { return false; }
      var first = etag === null;
      etag = tag;
      // The first answer may already be newer than the page: copy it too, but as
      // "unchanged" for the back-off.
      return r.text().then(function (html) { update(html); return !first; });
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (document.visibilityState !== "hidden") { timer = setTimeout(tick, delay); }
  }

  function tick() {
    timer = null;
    if (busy) { return; }
    busy = true;
    check().then(function (changed) {
      delay = changed ? base : Math.min(MAX, delay * FACTOR);
    }, function () {
      delay = Math.min(MAX, delay * 2);
    }).then(function () { busy = false; schedule(); });
  }

  // In a WordPress post the page is WordPress's sandboxed embed of a discovered
  // provider (its address ends "#?secret=…"): it may not navigate the post, and it
  // stays hidden behind the response's fallback link until it speaks. The post's
  // wp-embed.js shows it on a message with that secret, sizes it to the "height"
  // asked, and follows a "link" to this frame's own host: so the Donate link asks.
  // It may load after this page: it then says "ready", and hears the height again.
  var secret = /^#\?secret=([A-Za-z0-9]+)$/.exec(location.hash);
  if (secret && window.parent !== window) {
    var tell = function (message, value) {
      window.parent.postMessage({ message: message, value: value, secret: secret[1] }, "*");
    };
    var tellHeight = function () {
      tell("height", Math.ceil(document.body.getBoundingClientRect().height));
    };
    // Now (Chromium runs no ResizeObserver in a hidden cross-origin frame), and
    // again whenever the figures change the page's height.
    tellHeight();
    new ResizeObserver(tellHeight).observe(document.body);
    window.addEventListener("message", function (event) {
      var data = event.data || {};
      if (event.source === window.parent && data.message === "ready" && data.secret === secret[1]) {
        tellHeight();
      }
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest('a[target="_top"]');
      if (link) { event.preventDefault(); tell("link", link.href); }
    });
  }

  document.addEventListener("visibilitychange", function () {
    clearTimeout(timer);
    timer = null;
    if (document.visibilityState !== "hidden") { delay = base; tick(); }
  });
  schedule();
})();
