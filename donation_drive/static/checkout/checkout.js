/* The donation form: Stripe.js turns the card into a token in the browser (card
   data goes to Stripe only), then the form and the token go to our server, which
   creates and confirms the payment. A card that needs 3-D Secure comes back with a
   client secret, and Stripe.js finishes it here. No inline script: the page's
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
    summary.textContent = 'Please correct the highlighted field.';
    summary.hidden = false;
  }

  function selectedAmount() {
    var checked = form.querySelector('input[name="preset"]:checked');
    if (!checked || checked.value === 'other') { return customAmount.value.trim(); }
    return checked.value;
  }

  // Typing an amount selects "Other"; picking a preset empties the custom box.
  customAmount.addEventListener('input', function () {
    if (customAmount.value.trim() !== '') { otherPreset.checked = true; }
  });
  form.querySelectorAll('input[name="preset"]').forEach(function (radio) {
    radio.addEventListener('change', function () {
      if (radio !== otherPreset && radio.checked) { customAmount.value = ''; }
      if (radio === otherPreset && radio.checked) { customAmount.focus(); }
    });
  });

  if (typeof window.Stripe !== 'function') {
    showSummary('The card form could not be loaded. Please reload the page, or try again later.');
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

  function checkAmount(text) {
    var number = Number(text.replace(/[,\s]/g, ''));
    if (text === '' || !isFinite(number)) { return 'Choose or enter an amount.'; }
    if (number < Number(form.dataset.minAmount)) {
      return 'The smallest gift we can take by card is ' + form.dataset.minLabel + '.';
    }
    if (number > Number(form.dataset.maxAmount)) {
      return 'For gifts above ' + form.dataset.maxLabel + ', please contact us.';
    }
    return null;
  }

  function cardTokenError(error) {
    // Stripe's own card validation messages are written for donors; others are not.
    if (error && error.type === 'validation_error' && error.message) { return error.message; }
    return 'Please check the card number, expiry date and security code.';
  }

  function busy(on, text) {
    button.disabled = on;
    statusLine.textContent = text || '';
  }

  async function finishAuthentication(clientSecret) {
    statusLine.textContent = 'Your bank asks you to confirm the payment…';
    if (typeof stripe.handleNextAction === 'function') {
      return stripe.handleNextAction({ clientSecret: clientSecret });
    }
    return stripe.confirmCardPayment(clientSecret);
  }

  async function donate() {
    var amount = selectedAmount();
    var amountProblem = checkAmount(amount);
    if (amountProblem) { showFieldError('amount', amountProblem); return; }

    busy(true, 'Sending your card to Stripe…');
    var tokenResult = await stripe.createToken(card);
    if (!tokenResult || tokenResult.error || !tokenResult.token) {
      showFieldError('card', cardTokenError(tokenResult && tokenResult.error));
      return;
    }
    statusLine.textContent = 'Taking your donation…';
    var response = await fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-CSRFToken': form.elements.csrf_token.value
      },
      body: JSON.stringify({
        amount: amount,
        currency: form.elements.currency.value,
        cover_fee: form.elements.cover_fee.checked,
        name: form.elements.name.value,
        email: form.elements.email.value,
        anonymous: form.elements.anonymous.checked,
        message: form.elements.message.value,
        card_token: tokenResult.token.id
      })
    });
    var body = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      var text = body.error || 'Something went wrong (' + response.status + '). Please try again.';
      if (response.status === 429) {
        text = 'Too many attempts. Please wait a while before trying again.';
      }
      showFieldError(body.field || 'payload', text);
      return;
    }
    if (body.status === 'requires_action') {
      var result = await finishAuthentication(body.client_secret);
      if (!result || result.error) {
        showFieldError('card', (result && result.error && result.error.message) ||
          'Your bank did not confirm the payment. No money was taken.');
        return;
      }
    }
    statusLine.textContent = 'Thank you! Opening your receipt…';
    window.location.assign(body.redirect);
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
      showSummary('We could not reach the server. Check your connection and try again.');
    });
  });
})();
