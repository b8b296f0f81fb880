// The counting tablet: ticket field (scanner keystrokes or typing, Enter submits), camera scan,
// ticket details, quantity keypad, packaging conversion, state and method, then straight back to the
// ticket field. Counts go through the JSON API; a count that cannot be sent is kept in localStorage
// with its client_id and sent again when the connection returns (the server ignores a replay).
// A scanner types wherever the focus is: a burst of keystrokes ending in Enter, or a printed ticket
// number, is a new ticket wherever it lands, never a quantity. A service worker (/count/sw.js) keeps
// the page so that a reload without the network still shows it, with its waiting counts.

// The progress page refreshes its figures by itself.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || !box.dataset.url) return;
  var every = 1000 * (parseInt(box.dataset.every, 10) || 10);
  function tick() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var open = {};
        box.querySelectorAll("details[data-zone-key]").forEach(function (d) { open[d.dataset.zoneKey] = d.open; });
        box.innerHTML = html;
        box.querySelectorAll("details[data-zone-key]").forEach(function (d) {
          if (d.dataset.zoneKey in open) d.open = open[d.dataset.zoneKey];
        });
        box.dataset.updated = new Date().toISOString();
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
})();

(function () {
  "use strict";
  var root = document.getElementById("counting");
  if (!root) return;

  var DATA = JSON.parse(document.getElementById("count-data").textContent);
  var T = JSON.parse(document.getElementById("count-texts").textContent);
  var LABELS = JSON.parse(document.getElementById("count-labels").textContent);
  var API = root.dataset.api;
  var DECIMAL = root.dataset.decimal || ",";
  var CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var KEY = "countapp:" + DATA.user + ":" + DATA.campaign + ":";
  var MAX_QTY = 1e12, SEND_TIMEOUT = 10000, RETRY_EVERY = 5000;

  function $(id) { return document.getElementById(id); }
  function fmt(text, values) {
    if (Array.isArray(text)) {   // [singular, plural]: French keeps the singular for 0 and 1
      var n = Math.abs(Number(values && ("count" in values ? values.count : values.n)));
      text = text[(T.plural_rule === "fr" ? n > 1 : n !== 1) ? 1 : 0];
    }
    return String(text).replace(/\{(\w+)\}/g, function (_, k) { return values && k in values ? values[k] : ""; });
  }
  function show(el, on) { el.hidden = !on; }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "class") e.className = attrs[k]; else if (k.slice(0, 5) === "data-") e.setAttribute(k, attrs[k]);
      else e[k] = attrs[k];
    });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  var KIT = window.countappTabletKit, STORE = KIT.storage(KEY);
  var load = STORE.load, save = STORE.save, newClientId = KIT.clientId;
  function localQty(text) { return DECIMAL === "," ? String(text).replace(".", ",") : String(text); }
  // Times are the campaign's (its time zone), whatever the tablet's clock is set to.
  function formatter(options) {
    var lang = document.documentElement.lang || [];
    try { return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: DATA.time_zone || undefined }, options)); }
    catch (e) { return new Intl.DateTimeFormat(lang, options); }
  }
  var TIME = formatter({ hour: "2-digit", minute: "2-digit" });
  var DAY = formatter({ day: "2-digit", month: "2-digit" });
  var DAY_KEY = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  function timeText(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return "";
    // Another day than today (in the campaign's zone) says which day.
    return DAY_KEY.format(d) === DAY_KEY.format(new Date()) ? TIME.format(d) : DAY.format(d) + " " + TIME.format(d);
  }
  function sequenceOf(text) {
    var m = /^\s*(?:ticket\s*)?(?:n[°o]\.?\s*)?0*([0-9]+)(?:\s*\/\s*([0-9]+))?\s*$/i.exec(text || "");
    return m ? parseInt(m[1], 10) : null;
  }

  // ---- state kept on the tablet ----
  // The lists as this tablet last knew them, with the page renderings they stand for. A rendering the
  // tablet knows (the copy the service worker kept, shown by a reload without the network, or the same
  // lists again) is older than or as new as the tablet's lists, which take over; a new one replaces them.
  var kept = load("page", null);
  var known = !!(kept && kept.renders && kept.renders.indexOf(DATA.rendered) >= 0);
  var fromCopy = root.dataset.fromCopy === "1";          // set by the service worker on the copy it kept
  var renders = known ? kept.renders.slice(-4) : [DATA.rendered];
  var tickets = known ? kept.tickets || [] : DATA.tickets || [];  // the team's list (blind), for offline look-ups
  var recent = known ? kept.recent || [] : DATA.recent || [];
  var queue = load("queue", []);                               // counts not yet accepted by the server
  queue.forEach(function (q) { q.sending = false; tickets.forEach(function (t) { if (t.ticket === q.body.ticket) t.status = "counted"; }); });
  function keep() { save("page", { renders: renders, tickets: tickets, recent: recent.slice(0, 30) }); }
  try { localStorage.removeItem(KEY + "tickets"); } catch (e) { /* the list's old place */ }
  keep();
  var refused = load("refused", []);
  var current = null;                                          // the ticket open in the panel
  var mode = "count";                                          // or "correct"
  var blank = { reference: null, location: null, unit: null, decimals: null };

  // ---- elements ----
  var ticketForm = $("ticket-form"), ticketInput = $("ticket-input"), ticketError = $("ticket-error");
  var panel = $("count-panel"), countForm = $("count-form"), qty = $("qty"), qtyError = $("qty-error");
  var formError = $("form-error"), toast = $("toast"), net = $("net");

  function say(text, kind) {
    toast.textContent = text;
    toast.className = "toast toast-" + (kind || "ok");
    show(toast, true);
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { show(toast, false); }, kind === "error" ? 9000 : 4000);
  }
  function setOnline(on) {
    net.textContent = on ? T.online : T.offline;
    net.className = "net " + (on ? "online" : "offline");
  }
  // Waiting for a scan: no panel, or a panel that only tells something (voided, counted, not yours).
  function awaitingScan() { return panel.hidden || countForm.hidden; }
  function focusTicket() {
    if (!awaitingScan()) return;
    ticketInput.focus({ preventScroll: !panel.hidden });
    ticketInput.select();
  }

  // ---- HTTP ----
  function request(method, path, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, SEND_TIMEOUT) : null;
    var options = { method: method, credentials: "same-origin",
                    headers: { "Accept": "application/json", "X-CSRFToken": CSRF } };
    if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    if (controller) options.signal = controller.signal;
    return fetch(API + path, options).then(function (response) {
      clearTimeout(timer);
      setOnline(true);
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, ok: response.ok, data: data };
      });
    }, function (error) {
      clearTimeout(timer);
      setOnline(false);
      throw error;       // no answer: network down or too slow
    });
  }
  function errorOf(result) {
    var e = (result.data && result.data.error) || {};
    return { message: e.message || ("HTTP " + result.status), field: e.field || null };
  }
  function authProblem(result) {
    var e = errorOf(result);
    return result.status === 401 || (result.status === 400 && !e.field && /csrf/i.test(e.message));
  }

  // ---- the ticket field ----
  function ticketPath(text) {
    return "/tickets/" + encodeURIComponent(text.trim()).replace(/%2F/gi, "/") +
           "?campaign=" + encodeURIComponent(DATA.campaign);
  }
  function fromList(text) {
    var seq = sequenceOf(text);
    for (var i = 0; i < tickets.length; i++) if (tickets[i].sequence === seq) return tickets[i];
    return null;
  }
  var looking = 0;                 // the latest look-up: an older answer arriving late is ignored
  function lookup(text) {
    show(ticketError, false);
    text = (text || "").trim();
    if (!text) { showTicketError(T.ticket_required); return Promise.resolve(); }
    var mine = ++looking;
    return request("GET", ticketPath(text)).then(function (result) {
      if (mine !== looking) return;
      if (result.ok) { openTicket(result.data, false); return; }
      if (authProblem(result)) { showTicketError(T.login_again, text); return; }
      showTicketError(errorOf(result).message, text);
    }, function () {
      if (mine !== looking) return;
      var cached = fromList(text);
      if (cached) openTicket(Object.assign({ round: DATA.round, count: null, history: [], can_correct: false }, cached), true);
      else showTicketError(T.not_in_list_offline, text);
    });
  }
  function printed(sequence) { return ("00000" + sequence).slice(-Math.max(6, String(sequence).length)) + "/" + DATA.year; }
  // A refused ticket: the message stays (naming what was scanned), the panel of the ticket before goes,
  // and the ticket field is empty and ready, so that the next scan is taken whole.
  function showTicketError(message, text) {
    var seq = text ? sequenceOf(text) : null, typed = (text || "").trim();
    var named = !typed || String(message).indexOf(typed) >= 0 || (seq && String(message).indexOf(printed(seq)) >= 0);
    ticketError.textContent = named ? message : typed + " — " + message;
    show(ticketError, true);
    if (!panel.hidden) { show(panel, false); current = null; }
    ticketInput.value = "";
    ticketInput.focus();
  }
  ticketForm.addEventListener("submit", function (event) {
    event.preventDefault();
    scanTicket(ticketInput.value);
  });
  // A keyboard-wedge scanner types into whatever has the focus: keep it on the ticket field.
  ticketInput.addEventListener("blur", function () {
    setTimeout(function () {
      var a = document.activeElement;
      if (awaitingScan() && $("scanner").hidden && (!a || a === document.body)) focusTicket();
    }, 150);
  });
  ticketInput.addEventListener("focus", function () { ticketInput.select(); });

  // ---- a scan wherever it lands ----
  // A scanner "types" a whole number in a few milliseconds per key and presses Enter; people need a tenth
  // of a second or more per key. Such a burst, or a number as printed on the tickets, typed in the quantity
  // (or anywhere else in the count form) is the next ticket: the half-entered count is dropped, unsent.
  // A run of keys ends at a pause; it is a scan when its keys came in fast on average (a busy tablet may
  // hold one key back now and then) and Enter follows at once.
  var RUN_BREAK = 150, SCAN_MEAN = 35, SCAN_MIN = 4;
  var PRINTED = /^\s*(?:ticket\s*)?(?:n[°o]\.?\s*)?[0-9]+\s*\/\s*[0-9]{4}\s*$/i;
  var PADDED = /^\s*0[0-9]{5,}\s*$/;        // the printed sequence without its year: 000123
  function looksPrinted(text) { return PRINTED.test(text || "") || PADDED.test(text || ""); }
  function isTextField(node) {
    return !!node && ((node.tagName === "INPUT" && /^(text|search|number|)$/i.test(node.type)) || node.tagName === "TEXTAREA");
  }
  var run = null;                 // { target, before: the field's value before the run, chars, first, last }
  function isScan(r, target, now) {
    if (!r || r.target !== target || r.chars.length < SCAN_MIN || now - r.last > RUN_BREAK) return false;
    return (r.last - r.first) / (r.chars.length - 1) <= SCAN_MEAN;
  }
  document.addEventListener("keydown", function (event) {
    var now = event.timeStamp || performance.now(), target = event.target;
    if (event.key === "Enter") {
      var r = run;
      run = null;
      if (!isScan(r, target, now)) return;
      if (target === ticketInput) { ticketInput.value = r.chars; return; }   // the ticket form does the rest
      // In a search field (blank tickets) a scanned item barcode is a search; only a printed number is a ticket.
      if (isTextField(target) && target !== qty && !looksPrinted(r.chars)) return;
      event.preventDefault();
      event.stopPropagation();
      if (isTextField(target)) target.value = r.before;
      scanTicket(r.chars);
      return;
    }
    if (event.repeat) { run = null; return; }      // a key held down is a person, not a scanner
    if (event.key && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      if (!run || run.target !== target || now - run.last > RUN_BREAK) {
        run = { target: target, before: isTextField(target) ? target.value : "", chars: "", first: now, last: now };
      }
      run.chars += event.key;
      run.last = now;
    } else if (["Shift", "CapsLock", "AltGraph"].indexOf(event.key) < 0) {
      run = null;
    }
  }, true);
  // The next ticket, however it came (ticket field, scan in the count form, camera); a count being typed
  // for the ticket before is dropped, and the team told so.
  function scanTicket(text) {
    if (current && !countForm.hidden && (qty.value.trim() || $("c-reason").value.trim())) {
      say(fmt(T.count_dropped, { ticket: current.ticket }), "warn");
    }
    ticketInput.value = (text || "").trim();
    return lookup(text);
  }

  // ---- the ticket panel ----
  function pendingFor(ticket) {
    for (var i = 0; i < queue.length; i++) if (queue[i].body.ticket === ticket) return queue[i];
    return null;
  }
  function setText(id, value) { $(id).textContent = value === null || value === undefined || value === "" ? "—" : value; }
  function openTicket(t, offline) {
    current = t;
    mode = "count";
    setText("t-number", t.ticket);
    setText("t-reference", t.reference);
    setText("t-designation", t.designation);
    setText("t-location", t.location);
    setText("t-lot", t.lot || T.no_lot);
    setText("t-unit", t.unit);
    var notes = [];
    if (offline) notes.push(T.offline_details);
    if (t.owner === "third_party") notes.push(T.third_party);
    $("t-note").textContent = notes.join(" ");
    show($("t-note"), notes.length > 0);

    var message = null, canCount = false;
    if (pendingFor(t.ticket)) message = T.pending_here;
    else if (t.status === "voided") message = T.voided;
    else if (t.status === "waiting") message = T.waiting;
    else if (t.status === "not_issued") message = T.not_issued;
    else if (t.status === "not_needed") message = T.not_needed;
    else if (t.status === "to_count") canCount = true;
    $("t-message").textContent = message || "";
    show($("t-message"), !!message);

    var counted = t.status === "counted" && t.count;
    show($("t-counted"), !!counted);
    if (counted) {
      $("t-counted-text").textContent = fmt(T.counted_by, { who: t.count.counted_by, when: timeText(t.count.counted_at) }) +
        " " + localQty(t.count.quantity) + " " + (t.unit || "") + " · " + (LABELS.states[t.count.state] || t.count.state) +
        (t.can_correct ? "" : " — " + T.cannot_correct);
      var list = $("t-history");
      clear(list);
      (t.history || []).forEach(function (h) {
        list.appendChild(el("li", null, fmt(T.earlier, { quantity: localQty(h.quantity) + " " + (t.unit || ""),
          who: h.counted_by, when: timeText(h.counted_at), reason: h.correction_reason || "—" })));
      });
      show($("correct-button"), !!t.can_correct);
    }
    prepareForm(t);
    show(countForm, canCount);
    show(panel, true);
    show(ticketError, false);
    if (canCount) {
      if (t.needs_reference) $("b-reference").focus(); else qty.focus();
    } else {
      // Nothing to count here: the message stays, and the next scan goes straight to the ticket field.
      ticketInput.value = "";
      ticketInput.focus({ preventScroll: true });
    }
    panel.scrollIntoView({ block: "start", behavior: "smooth" });
  }
  function prepareForm(t) {
    countForm.reset();
    qty.value = "";
    qty.readOnly = false;
    show(qtyError, false);
    show(formError, false);
    $("pack-total").textContent = "";
    $("packaging").open = false;
    blank = { reference: null, location: null, unit: null, decimals: null };
    ["b-reference-list", "b-location-list", "b-lot-list"].forEach(function (id) { clear($(id)); });
    show($("blank-fields"), mode === "count" && !!t.needs_reference);
    show($("reason-field"), mode === "correct");
    show($("packaging"), mode === "count");
    var button = $("submit-button");
    button.textContent = mode === "correct" ? button.dataset.correct : button.dataset.count;
    unitChanged();
  }
  function unit() { return current && current.unit ? current.unit : blank.unit; }
  function decimalsAllowed() { return current && current.unit ? !!current.decimals : !!blank.decimals; }
  function unitChanged() {
    $("qty-unit").textContent = unit() ? "(" + unit() + ")" : "";
    $("key-decimal").disabled = !decimalsAllowed();
    $("key-decimal").style.visibility = decimalsAllowed() ? "visible" : "hidden";
  }
  function closePanel() {
    show(panel, false);
    current = null;
    ticketInput.value = "";
    // Back to the top: the team bar (left, waiting, offline) and the notice of what was saved are in view,
    // above the ticket field, rather than scrolled off as the count form left the page.
    window.scrollTo(0, 0);
    focusTicket();
  }
  $("cancel-button").addEventListener("click", closePanel);
  $("correct-button").addEventListener("click", function () {
    mode = "correct";
    prepareForm(current);
    if (current.count) {
      var radio = countForm.querySelector('input[name="state"][value="' + current.count.state + '"]');
      if (radio) radio.checked = true;
      var method = countForm.querySelector('input[name="method"][value="' + current.count.method + '"]');
      if (method) method.checked = true;
    }
    show(countForm, true);
    $("c-reason").focus();
  });

  // ---- quantity keypad ----
  $("keypad").addEventListener("click", function (event) {
    var key = event.target.closest("button");
    if (!key || key.dataset.key === "ok" || qty.readOnly) return;      // OK submits the form, as Enter does
    var k = key.dataset.key;
    if (k === "back") qty.value = qty.value.slice(0, -1);
    else if (k === "decimal") { if (decimalsAllowed() && !/[.,]/.test(qty.value)) qty.value = (qty.value || "0") + DECIMAL; }
    else qty.value += k;
    show(qtyError, false);
  });
  $("keyboard-toggle").addEventListener("click", function () {
    qty.inputMode = decimalsAllowed() ? "decimal" : "numeric";
    qty.blur();
    qty.focus();
  });

  function checkQuantity(text) {
    text = String(text || "").replace(/[\s\u00a0\u202f]/g, "");
    if (!text) return { error: T.quantity_required };
    if (!/^[0-9]+([.,][0-9]*)?$/.test(text)) return { error: T.quantity_invalid };
    var normal = text.replace(",", ".").replace(/\.$/, "");
    var decimals = normal.indexOf(".") >= 0 ? normal.split(".")[1].replace(/0+$/, "").length : 0;
    if (decimals && !decimalsAllowed()) return { error: T.no_decimals };
    if (decimals > 4) return { error: T.too_many_decimals };
    if (parseFloat(normal) >= MAX_QTY) return { error: T.too_large };
    return { value: normal };
  }

  // ---- packaging: pallets × cartons per pallet × units per carton + loose ----
  var PACK = ["pallets", "cartons_per_pallet", "loose_cartons", "units_per_carton", "loose_units"];
  function packValues() {
    var values = {}, any = false;
    PACK.forEach(function (k) {
      var raw = $("p-" + k).value.replace(/\s/g, "").replace(",", ".");
      values[k] = raw;
      if (raw) any = true;
    });
    return any ? values : null;
  }
  function num(text) { var v = parseFloat(text); return isNaN(v) ? 0 : v; }
  function round4(v) { return Math.round(v * 10000) / 10000; }
  function packTotal(values) {
    var cartons = num(values.pallets) * num(values.cartons_per_pallet) + num(values.loose_cartons);
    return round4(cartons * num(values.units_per_carton) + num(values.loose_units));
  }
  function packChanged() {
    var values = packValues(), out = $("pack-total");
    if (!values) { out.textContent = ""; qty.readOnly = false; return; }
    var incomplete = (num(values.pallets) && !num(values.cartons_per_pallet)) ||
                     ((num(values.pallets) || num(values.loose_cartons)) && !num(values.units_per_carton));
    if (incomplete) { out.textContent = T.packaging_incomplete; out.className = "conversion incomplete"; return; }
    var parts = [];
    if (num(values.pallets)) parts.push(fmt(T.packaging_pallets, { n: values.pallets, per: values.cartons_per_pallet }));
    if (num(values.loose_cartons)) parts.push((parts.length ? "+ " : "") + fmt(T.packaging_cartons, { n: values.loose_cartons }));
    var text = parts.length ? "(" + parts.join(" ") + ") " + fmt(T.packaging_units, { n: values.units_per_carton }) : "";
    if (num(values.loose_units)) text += (text ? " " : "") + fmt(T.packaging_loose, { n: localQty(values.loose_units), count: values.loose_units });
    var total = packTotal(values);
    out.textContent = text + " " + fmt(T.packaging_total, { total: localQty(total), unit: unit() || "" });
    out.className = "conversion";
    qty.value = localQty(total);
    qty.readOnly = true;
  }
  PACK.forEach(function (k) { $("p-" + k).addEventListener("input", packChanged); });

  // ---- blank tickets: search reference, location, lot ----
  function picklist(listId, items, label, choose) {
    var list = $(listId);
    clear(list);
    if (!items.length) { list.appendChild(el("li", { "class": "muted" }, T.no_match)); return; }
    items.forEach(function (item) {
      var li = el("li"), b = el("button", { type: "button", "class": "pick" }, label(item));
      b.addEventListener("click", function () { choose(item); clear(list); });
      li.appendChild(b);
      list.appendChild(li);
    });
  }
  function searcher(inputId, path, key, listId, label, choose) {
    var timer = null;
    $(inputId).addEventListener("input", function () {
      clearTimeout(timer);
      var q = $(inputId).value.trim();
      timer = setTimeout(function () {
        request("GET", "/campaigns/" + encodeURIComponent(DATA.campaign) + path + encodeURIComponent(q))
          .then(function (r) { if (r.ok) picklist(listId, r.data[key] || [], label, choose); }, function () {});
      }, 200);
    });
  }
  searcher("b-reference", "/items?q=", "items", "b-reference-list",
    function (i) { return i.reference + " · " + i.designation + " (" + i.unit + ")"; },
    function (i) {
      blank.reference = i.reference; blank.unit = i.unit; blank.decimals = i.decimals;
      $("b-reference").value = i.reference;
      unitChanged();
      request("GET", "/campaigns/" + encodeURIComponent(DATA.campaign) + "/lots?reference=" + encodeURIComponent(i.reference))
        .then(function (r) {
          if (r.ok && r.data.lots.length) picklist("b-lot-list", r.data.lots, function (l) { return l; },
            function (l) { $("b-lot").value = l; });
        }, function () {});
      $("b-location").focus();
    });
  searcher("b-location", "/locations?q=", "locations", "b-location-list",
    function (l) { return l.location + " · " + l.zone; },
    function (l) { blank.location = l.location; $("b-location").value = l.location; $("b-lot").focus(); });
  $("b-reference").addEventListener("change", function () {
    if ($("b-reference").value.trim() !== blank.reference) blank.reference = null;
  });

  // ---- submitting ----
  function choice(name) {
    var checked = countForm.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : null;
  }
  function formFail(message, field) {
    var target = field === "quantity" ? qtyError : formError;
    target.textContent = message;
    show(target, true);
  }
  countForm.addEventListener("submit", function (event) {
    event.preventDefault();
    show(qtyError, false);
    show(formError, false);
    if (!current) return;
    if (looksPrinted(qty.value) && !qty.readOnly) {      // a ticket number typed or scanned as a quantity
      var scannedText = qty.value;
      qty.value = "";
      scanTicket(scannedText);
      return;
    }
    var pack = mode === "count" ? packValues() : null;
    var checked = checkQuantity(qty.value);
    if (checked.error) { formFail(checked.error, "quantity"); return; }
    if (mode === "correct") { sendCorrection(checked.value); return; }
    var body = { campaign: DATA.campaign, ticket: current.ticket, round: current.round || DATA.round,
                 quantity: checked.value, state: choice("state"), method: choice("method"),
                 counted_at: new Date().toISOString(), client_id: newClientId() };
    if (pack) body.packaging = pack;
    if (current.needs_reference) {
      var reference = blank.reference || $("b-reference").value.trim();
      var location = blank.location || $("b-location").value.trim();
      if (!reference) { formFail(T.reference_required); return; }
      if (!location) { formFail(T.location_required); return; }
      body.reference = reference; body.location = location; body.lot = $("b-lot").value.trim();
    }
    var item = { body: body, label: current.ticket + " · " + (current.reference || body.reference || "") +
                 " · " + localQty(checked.value) + " " + (unit() || ""), queued_at: Date.now() };
    queue.push(item);            // on the tablet first: a count is never lost
    save("queue", queue);
    markCounted(body.ticket);    // no longer "still to count", sent or not
    renderQueue();
    renderLeft();
    var button = $("submit-button");
    button.disabled = true;
    sendOne(item, true).then(function (outcome) {
      button.disabled = false;
      if (outcome === "sent") { say(fmt(T.saved, { ticket: body.ticket, quantity: localQty(checked.value) + " " + (unit() || "") })); closePanel(); }
      else if (outcome === "refused") { var e = item.error; formFail(e.message, e.field); }
      else { say(outcome === "auth" ? T.login_again : T.queued, outcome === "auth" ? "error" : "warn"); closePanel(); }
    });
  });

  // Sends one waiting count; "sent", "refused" (removed, with the server's reason), "auth" or "later".
  function sendOne(item, interactive) {
    if (item.sending) return Promise.resolve("later");
    item.sending = true;
    return request("POST", "/counts", item.body).then(function (result) {
      item.sending = false;
      if (result.ok) {
        drop(item);
        recent.unshift(result.data.count);
        markCounted(item.body.ticket);
        return "sent";
      }
      if (authProblem(result)) return "auth";
      if (result.status >= 500 || result.status === 408 || result.status === 429) return "later";   // busy: again later
      // Refused for good (a 4xx: bad input, not allowed, already counted, client_id used for another count):
      // never sent again, shown with the server's reason. Counted by another device (409 on the ticket),
      // the ticket is no longer to count; any other refusal leaves it to count again.
      item.error = errorOf(result);
      drop(item);
      if (!(result.status === 409 && item.error.field === "ticket")) markToCount(item.body.ticket);
      if (!interactive) {        // nobody is looking at this form any more: list it where it will be seen
        refused.unshift({ label: item.label, message: item.error.message, at: Date.now() });
        save("refused", refused.slice(0, 50));
        renderRefused();
      }
      return "refused";
    }, function () {
      item.sending = false;
      return "later";
    }).then(function (outcome) { renderQueue(); renderRecent(); renderLeft(); return outcome; });
  }
  function drop(item) {
    queue = queue.filter(function (q) { return q.body.client_id !== item.body.client_id; });
    save("queue", queue);
  }
  function markCounted(ticket) {
    tickets.forEach(function (t) { if (t.ticket === ticket) t.status = "counted"; });
    keep();
  }
  function markToCount(ticket) {       // a waiting count refused: the ticket is still to count
    if (pendingFor(ticket)) return;
    tickets.forEach(function (t) { if (t.ticket === ticket && t.status === "counted") t.status = "to_count"; });
    keep();
  }
  var flushing = false;
  function flush() {
    if (flushing || !queue.length) return Promise.resolve();
    flushing = true;
    var sent = 0, items = queue.slice();
    function next(i) {
      if (i >= items.length) return Promise.resolve();
      return sendOne(items[i]).then(function (outcome) {
        if (outcome === "sent") sent++;
        if (outcome === "later" || outcome === "auth") {
          if (outcome === "auth") say(T.login_again, "error");
          return null;       // still no way through: try again later, in the same order
        }
        return next(i + 1);
      });
    }
    return next(0).then(function () {
      flushing = false;
      if (sent) say(fmt(T.sent_later, { n: sent }));
    });
  }
  window.addEventListener("online", function () { setOnline(true); flush().then(refreshLists); });
  window.addEventListener("offline", function () { setOnline(false); });
  setInterval(function () { if (queue.length) flush(); }, RETRY_EVERY);

  function sendCorrection(quantity) {
    var reason = $("c-reason").value.trim();
    if (!reason) { formFail(T.reason_required); return; }
    var body = { campaign: DATA.campaign, ticket: current.ticket, round: current.round, quantity: quantity,
                 state: choice("state"), method: choice("method"), reason: reason };
    request("POST", "/corrections", body).then(function (result) {
      if (result.ok) {
        say(fmt(T.correction_saved, { ticket: body.ticket, quantity: localQty(quantity) + " " + (unit() || "") }));
        recent = recent.filter(function (c) { return c.ticket !== body.ticket; });
        recent.unshift(result.data.count);
        keep();
        renderRecent();
        closePanel();
      } else {
        var e = errorOf(result);
        formFail(authProblem(result) ? T.login_again : e.message, e.field);
      }
    }, function () { formFail(T.needs_connection); });
  }

  // ---- lists ----
  function renderQueue() {
    $("pending-count").textContent = queue.length;
    $("pending-figure").className = queue.length ? "pending" : "";
    var list = $("pending-list");
    clear(list);
    queue.forEach(function (item) { list.appendChild(el("li", { "class": "pending-item" }, item.label)); });
    show($("pending-card"), queue.length > 0);
  }
  function renderRefused() {
    var list = $("refused-list");
    clear(list);
    refused.forEach(function (r) {
      var li = el("li");
      li.appendChild(el("strong", null, r.label));
      li.appendChild(el("span", { "class": "error" }, " — " + r.message));
      list.appendChild(li);
    });
    show($("refused-card"), refused.length > 0);
  }
  $("refused-clear").addEventListener("click", function () { refused = []; save("refused", refused); renderRefused(); focusTicket(); });
  function renderRecent() {
    var list = $("recent-list");
    clear(list);
    var seen = {};
    recent.filter(function (c) { if (seen[c.ticket]) return false; seen[c.ticket] = true; return true; })
      .slice(0, 30).forEach(function (c) {
        var info = fromList(c.ticket) || {};
        var li = el("li", { "class": "recent-item" });
        var b = el("button", { type: "button", "class": "row-button" });
        b.appendChild(el("strong", null, c.ticket));
        b.appendChild(el("span", null, " " + (info.reference || "") + " · " + localQty(c.quantity) + " " + (info.unit || "") +
          " · " + (LABELS.states[c.state] || c.state) + " · " + c.counted_by + " " + timeText(c.counted_at)));
        b.addEventListener("click", function () { ticketInput.value = c.ticket; lookup(c.ticket); });
        li.appendChild(b);
        list.appendChild(li);
      });
  }
  function renderLeft() {
    var left = tickets.filter(function (t) { return t.status === "to_count" || t.status === "waiting"; });
    $("left-count").textContent = left.length;
    $("left-word").textContent = fmt(T.left_word, { n: left.length });
    var box = $("left-list");
    clear(box);
    if (!left.length) { box.appendChild(el("p", { "class": "muted" }, T.nothing_left)); return; }
    var zones = {};
    left.forEach(function (t) { var z = t.zone || ""; (zones[z] = zones[z] || []).push(t); });
    var shown = 0, LIMIT = 200;
    Object.keys(zones).sort(function (a, b) { return (a === "") - (b === "") || a.localeCompare(b); }).forEach(function (z) {
      var details = el("details", { "class": "zone-left", open: true });
      details.appendChild(el("summary", null, (z || T.blank_zone) + " · " + zones[z].length));
      var ul = el("ul", { "class": "rows" });
      zones[z].forEach(function (t) {
        if (shown >= LIMIT) return;
        shown++;
        var b = el("button", { type: "button", "class": "row-button", "data-ticket": t.ticket });
        b.appendChild(el("strong", null, t.ticket));
        b.appendChild(el("span", null, " " + [t.location, t.reference, t.designation, t.lot].filter(Boolean).join(" · ")));
        if (t.status === "waiting") b.appendChild(el("em", { "class": "muted" }, " — " + T.status_waiting));
        b.addEventListener("click", function () { ticketInput.value = t.ticket; lookup(t.ticket); });
        var li = el("li");
        li.appendChild(b);
        ul.appendChild(li);
      });
      details.appendChild(ul);
      box.appendChild(details);
    });
    if (left.length > shown) box.appendChild(el("p", { "class": "hint" }, fmt(T.more, { n: left.length - shown })));
  }
  function refreshLists() {
    var base = "/campaigns/" + encodeURIComponent(DATA.campaign);
    request("GET", base + "/tickets").then(function (r) {
      if (!r.ok) return;
      tickets = r.data.tickets;
      queue.forEach(function (q) { markCounted(q.body.ticket); });
      keep();
      renderLeft();
      show($("copy-note"), false);
    }, function () {});
    request("GET", base + "/counts").then(function (r) {
      if (r.ok) { recent = r.data.counts; keep(); renderRecent(); }
    }, function () {});
  }
  setInterval(function () { if (panel.hidden && !flushing) refreshLists(); }, 60000);

  // ---- camera scan: BarcodeDetector where the browser has it, else the bundled ZXing WebAssembly ----
  var zxingReady = null;
  function loadZXing() {
    if (zxingReady) return zxingReady;
    zxingReady = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = root.dataset.zxing;
      s.onload = function () {
        var wasm = root.dataset.wasm;
        window.ZXingWASM.prepareZXingModule({
          overrides: { locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? wasm : prefix + path; } },
          fireImmediately: true
        }).then(function () { resolve(window.ZXingWASM); }, reject);
      };
      s.onerror = reject;
      document.head.appendChild(s);
    });
    zxingReady.catch(function () { zxingReady = null; });
    return zxingReady;
  }
  var detector = null;
  function nativeDetector() {
    if (detector !== null) return Promise.resolve(detector);
    if (!("BarcodeDetector" in window)) { detector = false; return Promise.resolve(false); }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      detector = formats.indexOf("code_128") >= 0 ? new window.BarcodeDetector({ formats: ["code_128"] }) : false;
      return detector;
    }, function () { detector = false; return false; });
  }
  function imageDataOf(source, width, height) {
    var scale = Math.min(1, 1600 / Math.max(width, height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    return ctx.getImageData(0, 0, canvas.width, canvas.height);
  }
  // The text of the first Code 128 barcode in the image or video frame, or null.
  function decode(source, width, height) {
    return nativeDetector().then(function (d) {
      if (d) return d.detect(source).then(function (found) { return found.length ? found[0].rawValue : null; });
      return loadZXing().then(function (zx) {
        return zx.readBarcodes(imageDataOf(source, width, height), { formats: ["Code128"], tryHarder: true, maxNumberOfSymbols: 1 });
      }).then(function (results) {
        var ok = (results || []).filter(function (r) { return r.isValid; });
        return ok.length ? ok[0].text : null;
      });
    });
  }
  function scanned(text) { scanTicket(text); }
  var stream = null, scanning = false;
  function stopCamera() {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    show($("scanner"), false);
    focusTicket();
  }
  function startCamera() {
    var video = $("scan-video");
    show($("scanner"), true);
    $("scan-status").textContent = T.scan_loading;
    return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      scanning = true;
      $("scan-status").textContent = T.scan_point;
      return video.play().then(function () {
        (function tick() {
          if (!scanning) return;
          if (!video.videoWidth) { setTimeout(tick, 200); return; }
          decode(video, video.videoWidth, video.videoHeight).then(function (text) {
            if (text && scanning) { stopCamera(); scanned(text); } else setTimeout(tick, 250);
          }, function () { setTimeout(tick, 500); });
        })();
      });
    });
  }
  $("scan-button").addEventListener("click", function () {
    var live = window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
    if (live) startCamera().catch(function () { show($("scanner"), false); $("scan-file").click(); });
    else $("scan-file").click();      // plain http on the warehouse network: take a photo instead
  });
  $("scan-stop").addEventListener("click", stopCamera);
  $("scan-file").addEventListener("change", function () {
    var file = this.files && this.files[0];
    this.value = "";
    if (!file) return;
    say(T.scan_loading, "info");
    var image = new Image(), url = URL.createObjectURL(file);
    image.onload = function () {
      decode(image, image.naturalWidth, image.naturalHeight).then(function (text) {
        URL.revokeObjectURL(url);
        if (text) scanned(text); else { showTicketError(T.scan_failed); }
      }, function () { URL.revokeObjectURL(url); showTicketError(T.scan_unsupported); });
    };
    image.onerror = function () { URL.revokeObjectURL(url); showTicketError(T.scan_failed); };
    image.src = url;
  });

  // ---- the page kept for reloads without the network (static files: the service worker's own cache) ----
  var PAGE_CACHE = root.dataset.pageCache;
  function renderingOf(html) {
    var m = /"rendered":\s*"([0-9a-f]+)"/.exec(html || "");
    return m ? m[1] : null;
  }
  // The copy of this page the worker keeps may be another rendering than the one on screen (the first
  // visit, before the worker took over, or a reload that bypassed it): the tablet's lists stand for it too.
  function keepThisPage() {
    if (!window.caches || !PAGE_CACHE) return Promise.resolve();
    var url = location.href.split("#")[0];
    return caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(url, { ignoreSearch: true }).then(function (hit) {
        if (hit) return hit.text();
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || response.redirected || type.indexOf("text/html") !== 0) return null;
          return cache.put(url, response.clone()).then(function () { return response.text(); });
        });
      });
    }).then(function (html) {
      var id = renderingOf(html);
      if (id && renders.indexOf(id) < 0) { renders.push(id); keep(); }
      root.dataset.kept = "1";
    }).catch(function () {});
  }
  function startWorker() { KIT.startWorker(root, keepThisPage); }
  // Whoever logs out takes the kept page with them: the next person on this tablet must not see it offline.
  KIT.clearPagesOnLogout(PAGE_CACHE);

  // ---- start ----
  setOnline(navigator.onLine !== false);
  show($("copy-note"), fromCopy);
  renderQueue();
  renderRefused();
  renderRecent();
  renderLeft();
  focusTicket();
  if (queue.length) flush();
  if (fromCopy && navigator.onLine !== false) refreshLists();
  startWorker();
  window.countappTablet = { flush: flush, queue: function () { return queue.slice(); }, fromCopy: fromCopy };
})();
