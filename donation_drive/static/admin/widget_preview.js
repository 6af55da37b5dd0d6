/* The drive widget page's live preview: as the look form changes, the preview frame
 * and image load the widget with the form's choices as query parameters (the same
 * ones an embed may use), before anything is saved. An accent that is not yet a hex
 * colour leaves the preview as it was; saving it gets the form's error. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-widget-look]");
  var frame = document.querySelector('[data-testid="widget-preview"]');
  var image = document.querySelector('[data-testid="image-preview"]');
  if (!form || !frame || !image) { return; }
  var base = form.getAttribute("data-preview-base");
  var widths = JSON.parse(frame.getAttribute("data-widths"));
  var shown = null, accent = form.elements.accent.value.trim();

  function query() {
    var params = new URLSearchParams();
    params.set("theme", form.elements.theme.value);
    params.set("layout", form.elements.layout.value);
    var typed = form.elements.accent.value.trim();
    if (!typed || /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.test(typed)) { accent = typed; }
    if (accent) { params.set("accent", accent); }
    return params.toString();
  }

  function update() {
    var q = query();
    if (q === shown) { return; }
    shown = q;
    frame.src = base + "?" + q;
    image.src = base + ".svg?" + q;
    frame.setAttribute("width", String(widths[form.elements.layout.value] || 480));
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
