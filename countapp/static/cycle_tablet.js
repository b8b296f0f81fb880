// The cycle counting tablet: the day's lines, place by place, as big buttons; a line opens with a tap
// or a scan of its barcode (a burst of keystrokes ending in Enter), the quantity comes from the keypad
// (or the keyboard) and OK sends it. Blind: the page never holds a book quantity. Each count carries a
// client_id made once on the tablet: a retry after a lost answer never counts twice. A count that cannot
// be sent waits in localStorage and is sent again when the network returns. A service worker keeps the
// day's page, so that a reload without the network shows it, with the lines this tablet has counted since
// (remembered here, by day) marked counted.
(function () {
  "use strict";
  var root = document.getElementById("cycle-tablet");
  if (!root) return;

  var DATA = JSON.parse(document.getElementById("cycle-data").textContent);
  var T = JSON.parse(document.getElementById("cycle-texts").textContent);
  var DECIMAL = root.dataset.decimal || ",";
  var CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var KEY = "countapp:cycle:" + DATA.user + ":" + DATA.programme + ":";
  var SEND_TIMEOUT = 10000, RETRY_EVERY = 5000;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function fmt(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (_, k) { return values && k in values ? values[k] : ""; });
  }
  var KIT = window.countappTabletKit, STORE = KIT.storage(KEY);
  var load = STORE.load, save = STORE.save, newClientId = KIT.clientId;

  var lines = DATA.lines;                 // [{id, code, reference, designation, location, lot, unit, todo, note}]
  var queue = load("queue", []);          // counts not yet accepted: [{url, body}]
  var fromCopy = root.dataset.fromCopy === "1";    // set by the service worker on the copy it kept
  // Lines of this day this tablet has had accepted: a kept copy of the page still offers them. A page
  // fresh from the server leaves them out itself, so it starts the list again.
  var counted = fromCopy ? load("counted:" + DATA.day, []) : [];
  save("counted:" + DATA.day, counted);
  counted.forEach(function (id) { mark(id, null); });
  queue.forEach(function (q) { mark(q.line, "sent-later"); });
  var current = null;

  var list = $("line-list"), panel = $("line-panel"), qty = $("qty"), qtyError = $("qty-error");
  var toast = $("toast"), net = $("net"), scan = $("scan-input");

  function byId(id) { for (var i = 0; i < lines.length; i++) if (lines[i].id === id) return lines[i]; return null; }
  function byCode(code) {
    code = String(code || "").trim().toUpperCase();
    for (var i = 0; i < lines.length; i++) if (String(lines[i].code).toUpperCase() === code) return lines[i];
    return null;
  }
  function mark(id, state) { var l = byId(id); if (l) { l.todo = false; l.local = state; } }

  function say(text, kind) {
    toast.textContent = text;
    toast.className = "toast toast-" + (kind || "ok");
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { toast.hidden = true; }, 6000);
  }

  function render() {
    while (list.firstChild) list.removeChild(list.firstChild);
    var place = null, group = null, left = 0;
    lines.forEach(function (line) {
      if (line.place !== place) {
        place = line.place;
        var section = el("section", "place-group");
        section.appendChild(el("h3", "place-name", place));
        group = el("ul", "rows");
        section.appendChild(group);
        list.appendChild(section);
      }
      var item = el("li");
      var button = el("button", "row-button line-button" + (line.todo ? "" : " done") +
                      (line.local === "sent-later" ? " pending" : ""));
      button.type = "button";
      button.dataset.line = line.id;
      button.appendChild(el("span", "line-location", line.location));
      button.appendChild(el("strong", null, line.reference));
      button.appendChild(el("span", "designation", " " + (line.designation || "")));
      if (line.lot) button.appendChild(el("span", "lot", " · " + T.lot + " " + line.lot));
      var status = line.local === "sent-later" ? T.waiting : (line.todo ? (line.note || T.to_count) : T.counted);
      button.appendChild(el("span", "line-status" + (line.note ? " recount" : ""), status));
      if (!line.todo) button.disabled = true;
      item.appendChild(button);
      group.appendChild(item);
      if (line.todo) left += 1;
    });
    $("left-count").textContent = left;
    $("pending-count").textContent = queue.length;
    $("all-done").hidden = left > 0 || !lines.length;
  }

  function open(line) {
    if (!line) { say(T.unknown_line, "error"); return; }
    if (!line.todo) { say(fmt(T.already, { reference: line.reference }), "warn"); return; }
    current = line;
    $("l-reference").textContent = line.reference;
    $("l-designation").textContent = line.designation || "—";
    $("l-location").textContent = line.location;
    $("l-lot").textContent = line.lot || "—";
    $("l-unit").textContent = line.unit || "";
    $("l-note").textContent = line.note || "";
    $("l-note").hidden = !line.note;
    qty.value = "";
    qtyError.hidden = true;
    document.querySelector("input[name=state][value=good]").checked = true;
    panel.hidden = false;
    list.hidden = true;
    qty.focus();
  }

  function close() {
    current = null;
    panel.hidden = true;
    list.hidden = false;
    render();
    scan.focus();
  }

  function quantity() {
    var text = qty.value.trim().replace(/\s/g, "").replace(",", ".");
    if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) return null;
    return text;
  }

  function send(entry) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, SEND_TIMEOUT) : null;
    return fetch(entry.url, {
      method: "POST", credentials: "same-origin", signal: controller ? controller.signal : undefined,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": CSRF },
      body: JSON.stringify(entry.body)
    }).then(function (r) {
      clearTimeout(timer);
      return r.json().catch(function () { return null; }).then(function (body) {
        return { status: r.status, body: body, redirected: r.redirected };
      });
    });
  }

  function online(on) {
    net.textContent = on ? T.online : T.offline;
    net.className = "net " + (on ? "online" : "offline");
  }

  // The session has ended (logged out elsewhere, a new password, the next morning) or its CSRF token is
  // stale: nobody refused the count, nobody could take it. A page that is not the JSON answer (the log-in
  // page a redirect led to) is the same. The counts stay queued here, sent after the next log-in.
  var loggedOut = false;
  function sessionEnded(answer) {
    var message = ((answer.body || {}).error || {}).message || "";
    return answer.status === 401 || answer.redirected || (answer.status < 300 && answer.body === null) ||
           (answer.status === 400 && /csrf/i.test(message));
  }

  function answered(entry, answer) {
    if (sessionEnded(answer)) {
      loggedOut = true;
      say(T.login_again, "error");
      return false;
    }
    if (answer.status >= 200 && answer.status < 300) {
      var b = answer.body || {};
      var line = byId(entry.line);
      if (line) { line.local = null; line.todo = false; }
      if ((entry.body || {}).day === DATA.day && counted.indexOf(entry.line) < 0) {
        counted.push(entry.line);
        save("counted:" + DATA.day, counted);
      }
      say(b.message || T.saved, b.recount ? "warn" : "ok");
      return true;
    }
    if (answer.status >= 400 && answer.status < 500) {
      // Refused for good (a wrong quantity, a line no longer due): tell, and do not send it again.
      var line2 = byId(entry.line);
      if (line2) { line2.local = null; line2.todo = true; }
      say(((answer.body || {}).error || {}).message || T.refused, "error");
      return true;
    }
    return false;   // the server is unwell: keep it and try again
  }

  function flush() {
    if (!queue.length || flush.busy || loggedOut) return;
    flush.busy = true;
    var entry = queue[0];
    send(entry).then(function (answer) {
      online(true);
      if (answered(entry, answer)) { queue.shift(); save("queue", queue); }
      flush.busy = false;
      render();
      if (queue.length) flush();
    }).catch(function () {
      online(false);
      flush.busy = false;
    });
  }
  setInterval(flush, RETRY_EVERY);
  window.addEventListener("online", flush);

  function submit() {
    var q = quantity();
    if (q === null) { qtyError.textContent = T.bad_quantity; qtyError.hidden = false; qty.focus(); return; }
    var state = (document.querySelector("input[name=state]:checked") || {}).value || "good";
    var entry = { line: current.id, url: DATA.count_url.replace(/\/0$/, "/" + current.id),
                  body: { quantity: q, state: state, round: current.round, day: DATA.day, client_id: newClientId() } };
    queue.push(entry);
    save("queue", queue);
    mark(current.id, "sent-later");
    close();
    flush();
  }

  // ---- events ----
  list.addEventListener("click", function (e) {
    var b = e.target.closest(".line-button");
    if (b) open(byId(parseInt(b.dataset.line, 10)));
  });
  $("scan-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var found = byCode(scan.value);
    scan.value = "";
    open(found);
  });
  $("count-form").addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  $("cancel-button").addEventListener("click", close);
  $("keypad").addEventListener("click", function (e) {
    var key = e.target.closest("button");
    if (!key || !key.dataset.key || key.dataset.key === "ok") return;
    if (key.dataset.key === "back") qty.value = qty.value.slice(0, -1);
    else if (key.dataset.key === "decimal") { if (qty.value.indexOf(DECIMAL) < 0) qty.value += DECIMAL; }
    else qty.value += key.dataset.key;
    qtyError.hidden = true;
  });

  // ---- the page kept for reloads without the network (the service worker keeps the static files) ----
  var PAGE_CACHE = root.dataset.pageCache;
  function keepThisPage() {
    // The first visit is not served through the worker: keep this page now, so that a reload offline finds it.
    if (!window.caches || !PAGE_CACHE) return;
    if (fromCopy) { root.dataset.kept = "1"; return; }
    var url = location.href.split("#")[0];
    caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(url).then(function (hit) {
        if (hit) return null;
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (response.ok && !response.redirected && type.indexOf("text/html") === 0) return cache.put(url, response);
        });
      });
    }).then(function () { root.dataset.kept = "1"; }).catch(function () {});
  }
  KIT.startWorker(root, keepThisPage);
  KIT.clearPagesOnLogout(PAGE_CACHE);      // whoever logs out takes the kept pages with them

  $("copy-note").hidden = !fromCopy;
  render();
  flush();
  scan.focus();
})();
