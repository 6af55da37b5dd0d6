/* The donation form: Stripe.js turns the card into a token in the browser (card
   data goes to Stripe only), then the form and the token go to our server, which
   creates and confirms the payment. A card that needs 3-D Secure comes back with a
   client secret, and Stripe.js finishes it here. The page never parses the amount
   itself: it asks the server (the payment API's own parser, in the drive's
   locale) what the card would be charged, shows that before charging, and sends
   it along so nothing else is charged. No inline script: the page's
   Content-Security-Policy forbids it. */
(function () {
  'use strict';

  var form = document.getElementById('checkout-form');
  if (!form) { return; }
  var summary = document.getElementById('form-errors');
  var statusLine = document.getElementById('checkout-status');
  var button = document.getElementById('donate-button');
  var customAmount = document.getElementById('custom-amount');
  var otherPreset = document.getElementById('preset-other');
  var cardBox = document.getElementById('card-element');
  var chargeLine = document.getElementById('charge-summary');
  var coverFee = form.elements.cover_fee;
  // The page's sentences and the donor's language (page_texts.js).
  var page = window.donationDriveTexts(form);
  var T = page.T, say = page.say, withLang = page.withLang;
  // Once or every month: a monthly gift goes to its own endpoint (monthly/views.py).
  function isMonthly() {
    var checked = form.querySelector('input[name="frequency"]:checked');
    return Boolean(checked && checked.value === 'monthly');
  }
  var buttonLabel = button.textContent;
  var FIELD_INPUTS = {
    amount: customAmount,
    name: document.getElementById('donor-name'),
    email: document.getElementById('donor-email'),
    message: document.getElementById('donor-message'),
    card: cardBox
  };

  function showSummary(text) {
    summary.textContent = text;
    summary.hidden = false;
    summary.focus();
  }

  function clearErrors() {
    summary.hidden = true;
    summary.textContent = '';
    form.querySelectorAll('[data-error-for]').forEach(function (node) {
      node.hidden = true;
      node.textContent = '';
    });
    Object.keys(FIELD_INPUTS).forEach(function (name) {
      var input = FIELD_INPUTS[name];
      if (input) { input.removeAttribute('aria-invalid'); }
    });
    cardBox.classList.remove('invalid');
  }

  /* Show a message next to its field and move focus there; unknown fields go to
     the summary at the top. */
  function showFieldError(field, text) {
    var slot = form.querySelector('[data-error-for="' + field + '"]');
    if (!slot) { showSummary(text); return; }
    slot.textContent = text;
    slot.hidden = false;
    var input = FIELD_INPUTS[field];
    if (field === 'card') {
      cardBox.classList.add('invalid');
      var first = cardBox.querySelector('input');
      if (first) { first.focus(); } else { slot.scrollIntoView(); }
    } else if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
    summary.textContent = T.correct_field;
    summary.hidden = false;
  }

  function selectedAmount() {
    var checked = form.querySelector('input[name="preset"]:checked');
    if (!checked || checked.value === 'other') { return customAmount.value.trim(); }
    return checked.value;
  }

  /* The charge quote: what the server reads the amount as, for this exact text. */
  var quoted = { key: null, promise: null };

  function quoteKey() {
    return selectedAmount() + '\u0000' + (coverFee.checked ? '1' : '');
  }

  function fetchQuote() {
    var key = quoteKey();
    if (quoted.key === key) { return quoted.promise; }
    var query = new URLSearchParams({ amount: selectedAmount() });
    if (coverFee.checked) { query.set('cover_fee', '1'); }
    quoted.key = key;
    if (form.dataset.lang) { query.set('lang', form.dataset.lang); }
    quoted.promise = fetch(form.dataset.quoteUrl + '?' + query.toString(), {
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json' }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, body: body, key: key };
      });
    });
    quoted.promise.catch(function () { quoted.key = null; });
    return quoted.promise;
  }

  function showCharge(result) {
    var slot = form.querySelector('[data-error-for="amount"]');
    if (result.ok) {
      // The server's Babel-formatted total; a monthly gift says how often.
      var label = result.body.total_label;
      if (isMonthly()) { label = say('every_month', { amount: label }); }
      chargeLine.textContent = say('will_be_charged', { amount: label });
      button.textContent = say('donate_amount', { amount: label });
      slot.hidden = true;
      customAmount.removeAttribute('aria-invalid');
    } else {
      chargeLine.textContent = '';
      button.textContent = buttonLabel;
      if (result.body.error) {
        slot.textContent = result.body.error;
        slot.hidden = false;
      }
    }
  }

  var quoteTimer = null;
  function refreshCharge() {
    window.clearTimeout(quoteTimer);
    if (selectedAmount() === '') {
      showCharge({ ok: false, body: {} });
      form.querySelector('[data-error-for="amount"]').hidden = true;
      return;
    }
    quoteTimer = window.setTimeout(function () {
      fetchQuote().then(function (result) {
        if (result.key === quoteKey()) { showCharge(result); }
      }, function () { chargeLine.textContent = ''; });
    }, 250);
  }

  // Typing an amount selects "Other"; picking a preset empties the custom box.
  customAmount.addEventListener('input', function () {
    if (customAmount.value.trim() !== '') { otherPreset.checked = true; }
    refreshCharge();
  });
  form.querySelectorAll('input[name="preset"]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      if (radio !== otherPreset && radio.checked) { customAmount.value = ''; }
      if (radio === otherPreset && radio.checked) { customAmount.focus(); }
      refreshCharge();
    });
  });
  coverFee.addEventListener('change', refreshCharge);
  form.querySelectorAll('input[name="frequency"]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      fetchQuote().then(function (result) {
        if (result.key === quoteKey()) { showCharge(result); }
      }, function () { chargeLine.textContent = ''; });
    });
  });
  refreshCharge();

  if (typeof window.Stripe !== 'function') {
    showSummary(T.card_form_failed);
    button.disabled = true;
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create('card');
  card.mount(cardBox);
  card.on('change', function (event) {
    // Real Stripe reports validation as the donor types; clear a stale error.
    var slot = form.querySelector('[data-error-for="card"]');
    if (event && event.error) {
      slot.textContent = event.error.message;
      slot.hidden = false;
    } else if (!slot.hidden) {
      slot.hidden = true;
      cardBox.classList.remove('invalid');
    }
  });

  function cardTokenError(error) {
    // Stripe's own card validation messages are written for donors; others are not.
    if (error && error.type === 'validation_error' && error.message) { return error.message; }
    return T.check_card;
  }

  function busy(on, text) {
    button.disabled = on;
    statusLine.textContent = text || '';
  }

  async function finishAuthentication(clientSecret) {
    statusLine.textContent = T.bank_confirms;
    if (typeof stripe.handleNextAction === 'function') {
      return stripe.handleNextAction({ clientSecret: clientSecret });
    }
    return stripe.confirmCardPayment(clientSecret);
  }

  async function donate() {
    var amount = selectedAmount();
    if (amount === '') { showFieldError('amount', T.choose_amount); return; }
    busy(true, T.checking_amount);
    var charge = await fetchQuote();
    if (!charge.ok) {
      showFieldError('amount', charge.body.error || T.check_amount);
      return;
    }
    showCharge(charge);

    busy(true, T.sending_card);
    var tokenResult = await stripe.createToken(card);
    if (!tokenResult || tokenResult.error || !tokenResult.token) {
      showFieldError('card', cardTokenError(tokenResult && tokenResult.error));
      return;
    }
    var monthly = isMonthly();
    statusLine.textContent = say('charging', { amount: charge.body.total_label });
    var response = await fetch(monthly ? form.dataset.monthlyUrl : form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-CSRFToken': form.elements.csrf_token.value
      },
      body: JSON.stringify({
        amount: amount,
        frequency: monthly ? 'monthly' : 'once',
        expected_total: charge.body.total,
        currency: form.elements.currency.value,
        cover_fee: coverFee.checked,
        name: form.elements.name.value,
        email: form.elements.email.value,
        anonymous: form.elements.anonymous.checked,
        message: form.elements.message.value,
        card_token: tokenResult.token.id
      })
    });
    var body = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      var text = body.error || say('went_wrong', { status: response.status });
      if (response.status === 429) { text = T.too_many; }
      showFieldError(body.field || 'payload', text);
      return;
    }
    if (body.status === 'requires_action') {
      var result = await finishAuthentication(body.client_secret);
      if (!result || result.error) {
        showFieldError('card', (result && result.error && result.error.message) ||
          T.bank_declined);
        return;
      }
    }
    statusLine.textContent = T.opening_receipt;
    window.location.assign(withLang(body.redirect));
    return true;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    clearErrors();
    donate().then(function (navigating) {
      if (!navigating) { busy(false); }
    }, function () {
      busy(false);
      showSummary(T.unreachable);
    });
  });
})();
