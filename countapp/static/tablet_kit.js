// What the two counting tablets share: the campaign's (counting.js) and the cycle counts' (cycle_tablet.js).
// - a client id made once per count on the tablet, so that a resend is the same count, never a second;
// - the tablet's own storage (localStorage, one prefix per user and campaign or programme);
// - the service worker that keeps the page for reloads without the network;
// - emptying the kept pages when the user logs out: the next person on the tablet must not see them offline.
window.countappTabletKit = (function () {
  "use strict";
  function clientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function storage(prefix) {
    return {
      load: function (name, fallback) {
        try { var v = JSON.parse(localStorage.getItem(prefix + name)); return v === null ? fallback : v; }
        catch (e) { return fallback; }
      },
      save: function (name, value) { localStorage.setItem(prefix + name, JSON.stringify(value)); }
    };
  }
  // root's data-sw (the worker's address) and data-sw-scope; whenReady once the worker controls the scope.
  function startWorker(root, whenReady) {
    if (!("serviceWorker" in navigator) || !window.isSecureContext || !root.dataset.sw) return;
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.swScope })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(whenReady)
      .catch(function () { /* no worker (private window, plain http): the page works online as before */ });
  }
  function clearPagesOnLogout(pageCache) {
    document.querySelectorAll('form[action$="/logout"]').forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.caches || !pageCache || form.dataset.cleared) return;
        event.preventDefault();
        var done = function () { form.dataset.cleared = "1"; form.submit(); };
        caches.delete(pageCache).then(done, done);
      });
    });
  }
  return { clientId: clientId, storage: storage, startWorker: startWorker, clearPagesOnLogout: clearPagesOnLogout };
})();
