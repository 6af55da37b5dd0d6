/* A stand-in for PayPal's JS SDK, served by the PayPal test peer (tests/peers/paypal).
 * It implements only the documented contract
 *   paypal.Buttons({createOrder, onApprove, onError, onCancel}).render(selector)
 * (developer.paypal.com/sdk/js/reference/): render() puts a PayPal button in the
 * container; a click calls createOrder() (the page's own server creates the order at
 * the peer), approves that order at the peer as the donor would in PayPal's window,
 * then calls onApprove({orderID}). Errors go to onError. */
(function () {
  "use strict";
  var PEER = __PEER_BASE__;

  function approve(orderID) {
    return fetch(PEER + "/_peer/orders/" + encodeURIComponent(orderID) + "/approve", {
      method: "POST",
      mode: "cors",
    }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) {
          throw new Error("PayPal peer refused approval of " + orderID + ": " + text);
        });
      }
      return response.json();
    });
  }

  function Buttons(options) {
    options = options || {};
    var rendered = null;
    return {
      isEligible: function () {
        return true;
      },
      render: function (container) {
        var host = typeof container === "string" ? document.querySelector(container) : container;
        if (!host) {
          return Promise.reject(new Error("PayPal peer SDK: no container " + container));
        }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "paypal-peer-button";
        button.setAttribute("data-paypal-peer", "button");
        button.setAttribute("aria-label", "PayPal");
        button.textContent = "PayPal";
        button.addEventListener("click", function () {
          button.disabled = true;
          Promise.resolve()
            .then(function () {
              if (typeof options.createOrder !== "function") {
                throw new Error("PayPal peer SDK: createOrder is required");
              }
              return options.createOrder({ paymentSource: "paypal" }, {});
            })
            .then(function (orderID) {
              if (!orderID || typeof orderID !== "string") {
                throw new Error("PayPal peer SDK: createOrder must resolve to an order id");
              }
              return approve(orderID).then(function (approved) {
                return options.onApprove(
                  { orderID: orderID, payerID: approved.payer_id, paymentSource: "paypal" },
                  {}
                );
              });
            })
            .catch(function (error) {
              if (typeof options.onError === "function") {
                options.onError(error);
              } else if (window.console) {
                window.console.error(error);
              }
            })
            .then(function () {
              button.disabled = false;
            });
        });
        host.appendChild(button);
        rendered = button;
        return Promise.resolve();
      },
      close: function () {
        if (rendered && rendered.parentNode) {
          rendered.parentNode.removeChild(rendered);
        }
        return Promise.resolve();
      },
    };
  }

  window.paypal = window.paypal || {};
  window.paypal.Buttons = Buttons;
  window.paypal.version = "peer";
})();
