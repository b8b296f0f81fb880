// A counting tablet's service worker ("{{ name }}", served at {{ scope }}sw.js): the campaign's tablet
// (/count/<campaign>) and the cycle counts' tablet (/cycles/<programme>/count) each have theirs.
// Wi-Fi in a warehouse comes and goes: a reload without the network must show the counting page, with
// the counts waiting on the tablet, not the browser's error page.
// - counting pages (paths matching {{ pages }}): network first; the last good copy is kept and shown offline
//   (the copy of that very address, else of the same page for another day);
// - the page's own files (style sheets, script, barcode reader): from this worker's cache, refreshed
//   whenever the worker changes (its version follows the files);
// - everything else, the API above all, goes to the network untouched: counts are never cached here,
//   unsent ones wait in the page's localStorage.
"use strict";
var NAME = {{ name|tojson }};
var VERSION = {{ version|tojson }};
var PAGES = new RegExp({{ pages|tojson }});
var SCOPE = {{ scope|tojson }};
var API = {{ api|tojson }};
var SHELL = {{ shell|tojson }};
var OPTIONAL = {{ optional|tojson }};
var SHELL_PREFIX = "countapp-shell-" + NAME + "-";
var SHELL_CACHE = SHELL_PREFIX + VERSION;
var PAGE_CACHE = {{ page_cache|tojson }};
var PAGE_TIMEOUT = 8000;     // a Wi-Fi that is "connected" but dead must not hang the reload for minutes

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL).then(function () {
      // The barcode reader is big and only needed for camera scans: its absence never blocks the rest.
      return Promise.all(OPTIONAL.map(function (url) { return cache.add(url).catch(function () {}); }));
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      // This worker's older files, and the unnamed caches of the workers before names (countapp-shell-<version>).
      return (name.indexOf(SHELL_PREFIX) === 0 && name !== SHELL_CACHE) || /^countapp-shell-[0-9a-f]+$/.test(name);
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function path(url) { return new URL(url).pathname; }
function isCountingPage(request) {
  return request.mode === "navigate" && PAGES.test(path(request.url));
}
function isShellFile(request) {
  var p = path(request.url);
  return SHELL.indexOf(p) >= 0 || OPTIONAL.indexOf(p) >= 0;
}

function pageFromNetwork(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, PAGE_TIMEOUT);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      var type = response.headers.get("Content-Type") || "";
      if (response.ok && !response.redirected && type.indexOf("text/html") === 0) {
        var copy = response.clone();
        caches.open(PAGE_CACHE).then(function (cache) { return cache.put(request.url, copy); });
      } else if (response.redirected || response.status === 401 || response.status === 403) {
        // Logged out, or no longer in a team: the copy kept for this address must not outlive it.
        caches.open(PAGE_CACHE).then(function (cache) { return cache.delete(request.url); });
      }
      resolve(response);
    }, function (error) { clearTimeout(timer); reject(error); });
  });
}

function keptCopy(request) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match(request.url).then(function (kept) { return kept || cache.match(request.url, { ignoreSearch: true }); });
  }).then(function (kept) { return kept ? markedCopy(kept) : null; });
}
// The page says so when it is the kept copy (data-from-copy), so that the team knows the lists may be old.
function markedCopy(kept) {
  return kept.text().then(function (html) {
    return new Response(html.replace('data-from-copy="0"', 'data-from-copy="1"'),
                        { status: 200, headers: { "Content-Type": kept.headers.get("Content-Type") || "text/html" } });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (path(request.url).indexOf(API) === 0) return;
  if (isCountingPage(request)) {
    // No answer, or a server in trouble (5xx): the kept copy, when there is one, lets the team count on.
    event.respondWith(pageFromNetwork(request).then(function (response) {
      if (response.status < 500) return response;
      return keptCopy(request).then(function (kept) { return kept || response; });
    }, function (error) {
      return keptCopy(request).then(function (kept) { if (kept) return kept; throw error; });
    }));
    return;
  }
  if (isShellFile(request)) {
    event.respondWith(caches.open(SHELL_CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: true }).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
      });
    }));
  }
});

// The page asks to keep itself when it was loaded before this worker took control (first visit).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep-page" && typeof data.url === "string" && path(data.url).indexOf(SCOPE) === 0) {
    event.waitUntil(caches.open(PAGE_CACHE).then(function (cache) {
      return fetch(data.url, { credentials: "same-origin" }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && !response.redirected && type.indexOf("text/html") === 0) return cache.put(data.url, response);
      });
    }).catch(function () {}));
  }
});
