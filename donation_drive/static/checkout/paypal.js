/* PayPal's button on the donation form (donation_drive/checkout/paypal.py). It uses
   only the documented contract of PayPal's JS SDK, paypal.Buttons({createOrder,
   onApprove, onError, onCancel}).render(container): createOrder asks our server for
   the charge quote of the amount as typed (the card's own parser), then for an order
   of exactly that; onApprove asks our server to capture it and goes to the thank-you
   page. No inline script: the page's Content-Security-Policy forbids it. */
(function () {
  'use strict';

  var host = document.getElementById('paypal-buttons');
  var form = document.getElementById('checkout-form');
  if (!host || !form) { return; }
  var errorSlot = document.getElementById('paypal-error');
  var statusLine = document.getElementById('checkout-status');
  var customAmount = document.getElementById('custom-amount');
  // The page's sentences and the donor's language (page_texts.js).
  var page = window.donationDriveTexts(form);
  var T = page.T, say = page.say, withLang = page.withLang;

  function show(text) {
    errorSlot.textContent = text;
    errorSlot.hidden = false;
    if (statusLine) { statusLine.textContent = ''; }
  }

  function selectedAmount() {
    var checked = form.querySelector('input[name="preset"]:checked');
    if (!checked || checked.value === 'other') { return customAmount.value.trim(); }
    return checked.value;
  }

  function answer(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      if (!response.ok) {
        var text = body.error || say('went_wrong', { status: response.status });
        if (response.status === 429) { text = T.too_many; }
        throw new Error(text);
      }
      return body;
    });
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-CSRFToken': form.elements.csrf_token.value
      },
      body: JSON.stringify(body)
    }).then(answer);
  }

  function quote() {
    var query = new URLSearchParams({ amount: selectedAmount() });
    if (form.elements.cover_fee.checked) { query.set('cover_fee', '1'); }
    if (form.dataset.lang) { query.set('lang', form.dataset.lang); }
    return fetch(form.dataset.quoteUrl + '?' + query.toString(), {
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json' }
    }).then(answer);
  }

  if (!window.paypal || typeof window.paypal.Buttons !== 'function') {
    show(T.paypal_failed_to_load);
    return;
  }

  window.paypal.Buttons({
    createOrder: function () {
      errorSlot.hidden = true;
      if (selectedAmount() === '') { return Promise.reject(new Error(T.choose_amount)); }
      return quote().then(function (charge) {
        if (statusLine) { statusLine.textContent = say('opening_paypal', { amount: charge.total_label }); }
        return post(host.dataset.createUrl, {
          amount: selectedAmount(),
          expected_total: charge.total,
          currency: form.elements.currency.value,
          cover_fee: form.elements.cover_fee.checked,
          name: form.elements.name.value,
          email: form.elements.email.value,
          anonymous: form.elements.anonymous.checked,
          message: form.elements.message.value
        });
      }).then(function (order) { return order.id; });
    },
    onApprove: function (data) {
      if (statusLine) { statusLine.textContent = T.confirming_paypal; }
      var url = host.dataset.captureUrl.replace('ORDER_ID', encodeURIComponent(data.orderID));
      return post(url, {}).then(function (body) {
        if (statusLine) { statusLine.textContent = T.opening_receipt; }
        window.location.assign(withLang(body.redirect));
      });
    },
    onCancel: function () { show(T.paypal_cancelled); },
    onError: function (error) {
      show((error && error.message) || T.paypal_failed);
    }
  }).render('#paypal-buttons');
})();
