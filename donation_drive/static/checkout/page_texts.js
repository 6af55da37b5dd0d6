/* What both checkout scripts (checkout.js, paypal.js) read from the donation form:
   the page's sentences, translated by the server (checkout/script_texts.py), and the
   language the donor reads when it is not the drive's own (the quote and the
   thank-you page speak it too). Loaded before them. */
(function () {
  'use strict';

  window.donationDriveTexts = function (form) {
    var texts = JSON.parse(form.dataset.texts);
    return {
      T: texts,
      say: function (key, values) {
        return texts[key].replace(/\{(\w+)\}/g, function (all, name) { return values[name]; });
      },
      withLang: function (url) {
        if (!form.dataset.lang) { return url; }
        return url + (url.indexOf('?') < 0 ? '?' : '&') + 'lang=' +
          encodeURIComponent(form.dataset.lang);
      }
    };
  };
})();
