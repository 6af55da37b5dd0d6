/* The manage page's new-card form: the server makes a SetupIntent, Stripe.js
   confirms the card against it in the browser (3-D Secure included: card data goes
   to Stripe only), then the server makes that card the one charged from now on. */
(function () {
  'use strict';

  var form = document.getElementById('card-form');
  if (!form || typeof window.Stripe !== 'function') { return; }
  var errorLine = document.getElementById('card-error');
  var statusLine = document.getElementById('card-status');
  var button = document.getElementById('card-button');
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create('card');
  card.mount(document.getElementById('card-element'));

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-CSRFToken': form.elements.csrf_token.value
      },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || 'Something went wrong.'); }
        return data;
      });
    });
  }

  function fail(text) {
    errorLine.textContent = text;
    errorLine.hidden = false;
    statusLine.textContent = '';
    button.disabled = false;
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    errorLine.hidden = true;
    button.disabled = true;
    statusLine.textContent = 'Sending your card to Stripe…';
    try {
      var setup = await post(form.dataset.setupUrl);
      var result = await stripe.confirmCardSetup(setup.client_secret, {
        payment_method: { card: card }
      });
      if (!result || result.error || !result.setupIntent) {
        fail((result && result.error && result.error.message) || 'The card was not accepted.');
        return;
      }
      var done = await post(form.dataset.cardUrl, { setup_intent: result.setupIntent.id });
      window.location.assign(done.redirect);
    } catch (error) {
      fail(error.message);
    }
  });
})();
