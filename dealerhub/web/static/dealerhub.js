/*! dealerhub.js v1: card payments from a dealer website through the dealerhub API.
 *
 * Load it from the hub (no build step):
 *   <script src="https://HUB/js/v1/dealerhub.js"></script>
 *   const hub = DealerHub("pk_test_…");
 *   const card = await hub.mountCard("#card");
 *   const {paymentIntent, error} = await hub.confirmCardPayment(clientSecret, {card});
 *
 * Test mode (pk_test_): the form is plain inputs and the hub's sandbox takes the test card
 * numbers of docs/sandbox.md. Live mode (pk_live_): the form is the routed gateway's hosted
 * tokenizer, so card numbers go from the browser to the gateway and only its token reaches
 * the hub. 3-D Secure opens the authentication page in a frame over the page (or redirects
 * the whole page when a return_url is given) and resolves once the intent leaves
 * requires_action.
 */
(function (global) {
  "use strict";

  var VERSION = "1";
  var scriptSrc = (document.currentScript && document.currentScript.src) || "";

  function originOf(url) {
    try { return new URL(url).origin; } catch (e) { return ""; }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function target(selectorOrNode) {
    var node = typeof selectorOrNode === "string"
      ? document.querySelector(selectorOrNode) : selectorOrNode;
    if (!node) { throw new Error("dealerhub.js: no element matches " + selectorOrNode); }
    return node;
  }

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var s = el("script", {src: url, async: "async"});
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error("Could not load the tokenizer " + url)); };
      document.head.appendChild(s);
    });
  }

  function localError(message, param) {
    return {type: "invalid_request_error", code: "parameter_invalid", message: message,
            param: param || null};
  }

  function intentIdOf(clientSecret) {
    var m = /^((?:pi|seti)_[A-Za-z0-9]+)_secret_/.exec(clientSecret || "");
    if (!m) { throw new Error("dealerhub.js: not a client secret"); }
    return m[1];
  }

  // --- card forms ---------------------------------------------------------------------

  // Test mode: the hub's sandbox takes the card fields (never in live mode: the hub refuses
  // card numbers sent with a live publishable key).
  function TestCardForm(container) {
    this.kind = "test";
    this.number = el("input", {name: "cardnumber", "data-dealerhub": "number",
      inputmode: "numeric", autocomplete: "cc-number", placeholder: "4242 4242 4242 4242",
      "aria-label": "Card number"});
    this.expiry = el("input", {name: "exp-date", "data-dealerhub": "expiry",
      autocomplete: "cc-exp", placeholder: "MM / YY", "aria-label": "Expiry (MM / YY)",
      size: "7"});
    this.cvc = el("input", {name: "cvc", "data-dealerhub": "cvc", inputmode: "numeric",
      autocomplete: "cc-csc", placeholder: "CVC", "aria-label": "CVC", size: "4"});
    var wrap = el("div", {"class": "dealerhub-card dealerhub-test"},
      [this.number, this.expiry, this.cvc,
       el("small", {}, ["Test mode: use a test card such as 4242 4242 4242 4242."])]);
    target(container).appendChild(wrap);
    this.node = wrap;
  }
  TestCardForm.prototype.paymentMethodData = function () {
    var number = this.number.value.replace(/[\s-]/g, "");
    var exp = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(this.expiry.value);
    if (!/^\d{12,19}$/.test(number)) {
      return Promise.resolve({error: localError("Enter the card number.", "card.number")});
    }
    if (!exp) {
      return Promise.resolve({error: localError("Enter the expiry as MM / YY.", "card.exp_month")});
    }
    var year = exp[2].length === 2 ? 2000 + parseInt(exp[2], 10) : parseInt(exp[2], 10);
    var card = {number: number, exp_month: parseInt(exp[1], 10), exp_year: year};
    if (this.cvc.value) { card.cvc = this.cvc.value.trim(); }
    return Promise.resolve({card: card});
  };

  // Live mode, BlueDog (the FluidPay platform): its Tokenizer draws the card fields in an
  // iframe and calls `submission` with {status, token}.
  function FluidPayForm(container, info) {
    this.kind = "bluedog";
    var self = this;
    this.pending = null;
    this.tokenizer = new global.Tokenizer({
      url: originOf(info.script_url),
      apikey: info.public_key,
      container: target(container),
      submission: function (resp) {
        var done = self.pending; self.pending = null;
        if (!done) { return; }
        if (resp && resp.status === "success" && resp.token) {
          done({card: {token: resp.token}});
        } else {
          done({error: localError((resp && resp.msg) || "The card was not accepted.", "card")});
        }
      }
    });
  }
  FluidPayForm.prototype.paymentMethodData = function () {
    var self = this;
    return new Promise(function (resolve) { self.pending = resolve; self.tokenizer.submit(); });
  };

  // Live mode, accept.blue (MiCamp): Hosted Tokenization mounts an iframe and answers
  // getNonceToken() with a nonce- token and the card's expiry (nonce charges need it).
  function AcceptBlueForm(container, info) {
    this.kind = "acceptblue";
    var hosted = new global.HostedTokenization(info.public_key);
    this.form = hosted.create("card-form");
    this.form.mount(target(container));
  }
  AcceptBlueForm.prototype.paymentMethodData = function () {
    return this.form.getNonceToken().then(function (result) {
      var card = {token: result.nonce};
      if (result.expiryMonth) { card.exp_month = parseInt(result.expiryMonth, 10); }
      if (result.expiryYear) {
        var y = parseInt(result.expiryYear, 10);
        card.exp_year = y < 100 ? 2000 + y : y;
      }
      return {card: card};
    }, function (err) {
      return {error: localError((err && err.message) || "The card was not accepted.", "card")};
    });
  };

  var LIVE_FORMS = {bluedog: FluidPayForm, acceptblue: AcceptBlueForm};

  // --- the client ---------------------------------------------------------------------

  function DealerHub(publishableKey, options) {
    if (!(this instanceof DealerHub)) { return new DealerHub(publishableKey, options); }
    if (!/^pk_(test|live)_/.test(publishableKey || "")) {
      throw new Error("dealerhub.js needs a publishable key (pk_test_… or pk_live_…)");
    }
    options = options || {};
    this.key = publishableKey;
    this.livemode = publishableKey.indexOf("pk_live_") === 0;
    this.apiBase = (options.apiBase || originOf(scriptSrc)).replace(/\/$/, "");
    this.pollInterval = options.pollInterval || 1000;
  }

  DealerHub.version = VERSION;

  DealerHub.prototype.request = function (method, path, body, idempotencyKey) {
    var headers = {"Authorization": "Bearer " + this.key};
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (idempotencyKey) { headers["Idempotency-Key"] = idempotencyKey; }
    return fetch(this.apiBase + path, {
      method: method, headers: headers, mode: "cors", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        return response.ok ? {data: data} : {error: data.error || localError("HTTP " + response.status)};
      }, function () {
        return {error: {type: "api_error", message: "HTTP " + response.status}};
      });
    }, function (err) {
      // The browser hides why (a CORS refusal looks like a network failure): name both.
      return {error: {type: "api_connection_error", message: "Could not reach the hub (" +
        String(err && err.message || err) + "): the network failed, or this site's origin " +
        "is not in the dealer's web.allowed_origins."}};
    });
  };

  DealerHub.prototype.tokenizer = function () {
    return this.request("GET", "/payment/payment-methods/tokenizer");
  };

  /** Mount a card form into `container` (a selector or an element). */
  DealerHub.prototype.mountCard = function (container) {
    return this.tokenizer().then(function (res) {
      if (res.error) { throw new Error(res.error.message); }
      var info = res.data;
      if (!info.script_url) {
        if (info.livemode) {
          throw new Error("The gateway " + info.processor + " has no browser tokenizer: " +
                          "live cards cannot be taken on this page.");
        }
        var form = new TestCardForm(container);
        form.processor = info.processor;
        return form;
      }
      var Form = LIVE_FORMS[info.processor];
      if (!Form) {
        throw new Error("dealerhub.js v" + VERSION + " does not know the tokenizer of " +
                        info.processor);
      }
      return loadScript(info.script_url).then(function () {
        var live = new Form(container, info);
        live.processor = info.processor;
        return live;
      });
    });
  };

  /** Turn the mounted card into a payment method (pm_…). */
  DealerHub.prototype.createPaymentMethod = function (params) {
    var self = this;
    params = params || {};
    if (!params.card || !params.card.paymentMethodData) {
      return Promise.resolve({error: localError("Pass the card form mountCard returned.", "card")});
    }
    return params.card.paymentMethodData().then(function (collected) {
      if (collected.error) { return collected; }
      var body = {type: "card", card: collected.card, processor: params.card.processor};
      if (params.billing_details) { body.billing_details = params.billing_details; }
      return self.request("POST", "/payment/payment-methods", body).then(function (res) {
        return res.error ? {error: res.error} : {paymentMethod: res.data};
      });
    });
  };

  DealerHub.prototype._retrieve = function (collection, name, clientSecret) {
    var id;
    try { id = intentIdOf(clientSecret); } catch (e) {
      return Promise.resolve({error: localError(e.message, "client_secret")});
    }
    var path = "/payment/" + collection + "/" + id +
               "?client_secret=" + encodeURIComponent(clientSecret);
    return this.request("GET", path).then(function (res) {
      var out = {};
      if (res.error) { out.error = res.error; } else { out[name] = res.data; }
      return out;
    });
  };

  DealerHub.prototype.retrievePaymentIntent = function (clientSecret) {
    return this._retrieve("payment-intents", "paymentIntent", clientSecret);
  };

  DealerHub.prototype.retrieveSetupIntent = function (clientSecret) {
    return this._retrieve("setup-intents", "setupIntent", clientSecret);
  };

  DealerHub.prototype.confirmCardPayment = function (clientSecret, params) {
    return this._confirm("payment-intents", "paymentIntent", clientSecret, params || {});
  };

  DealerHub.prototype.confirmCardSetup = function (clientSecret, params) {
    return this._confirm("setup-intents", "setupIntent", clientSecret, params || {});
  };

  DealerHub.prototype._confirm = function (collection, name, clientSecret, params) {
    var self = this;
    var id;
    try { id = intentIdOf(clientSecret); } catch (e) {
      return Promise.resolve({error: localError(e.message, "client_secret")});
    }
    var method = params.payment_method
      ? Promise.resolve({paymentMethod: {id: params.payment_method}})
      : this.createPaymentMethod(params);
    return method.then(function (pm) {
      if (pm.error) { return pm; }
      var body = {client_secret: clientSecret, payment_method: pm.paymentMethod.id};
      if (params.receipt_email) { body.receipt_email = params.receipt_email; }
      // One key per attempt: a retried network call never confirms twice.
      var key = "djs_" + id + "_" + pm.paymentMethod.id;
      return self.request("POST", "/payment/" + collection + "/" + id + "/confirm", body, key);
    }).then(function (res) {
      if (res.error) { return {error: res.error}; }
      var intent = res.data;
      if (intent.status === "requires_action" && intent.next_action &&
          intent.next_action.type === "redirect_to_url") {
        return self._authenticate(collection, name, clientSecret, intent, params.return_url);
      }
      var out = {}; out[name] = intent;
      return out;
    });
  };

  // 3-D Secure: the issuer's page in a frame over ours; the intent is polled (with its client
  // secret) until it is no longer requires_action. With a return_url the whole page goes
  // there instead, and the return page calls retrievePaymentIntent.
  DealerHub.prototype._authenticate = function (collection, name, clientSecret, intent, returnUrl) {
    var self = this;
    var url = intent.next_action.redirect_to_url.url;
    if (returnUrl) {
      global.location.assign(url + (url.indexOf("?") < 0 ? "?" : "&") +
                             "return_url=" + encodeURIComponent(returnUrl));
      return new Promise(function () {});
    }
    var frame = el("iframe", {src: url, title: "3-D Secure authentication",
      "data-dealerhub": "3ds", style: "width:420px;height:320px;border:0;background:#fff"});
    var overlay = el("div", {"class": "dealerhub-3ds", style: "position:fixed;inset:0;" +
      "background:rgba(0,0,0,.5);display:flex;align-items:center;justify-content:center;" +
      "z-index:2147483647"}, [frame]);
    document.body.appendChild(overlay);
    var retrieve = collection === "setup-intents" ? "retrieveSetupIntent" : "retrievePaymentIntent";
    return new Promise(function (resolve) {
      function poll() {
        self[retrieve](clientSecret).then(function (res) {
          var current = res[name];
          if (res.error || current.status !== "requires_action") {
            overlay.parentNode && overlay.parentNode.removeChild(overlay);
            var out = {};
            if (res.error) { out.error = res.error; } else { out[name] = current; }
            var failure = current && (current.last_payment_error || current.last_setup_error);
            if (failure) { out.error = failure; }
            resolve(out);
          } else {
            setTimeout(poll, self.pollInterval);
          }
        });
      }
      setTimeout(poll, self.pollInterval);
    });
  };

  global.DealerHub = DealerHub;
})(window);
