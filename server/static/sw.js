/* Service worker: keeps on the phone everything a logged-in user needs to collect data offline, for that
   user only (server/collection/offline.py explains the server's side).

   - Scripts, styles, icons and the "no connection" page: one cache per release (VERSION), filled at
     install; older releases' caches are deleted at activation.
   - Pages and form definitions: one cache per user ("phuhop-pages-<user>"), filled by `sync` when a page
     asks (at login and on each online visit): it fetches /api/my/offline, then every URL whose version
     changed. Each response names its user (X-Phuhop-User): when another user logs in on the phone, the
     previous user's pages are deleted, so B never opens A's forms (A's unsent forms stay in IndexedDB).
   - Navigations: a form page comes from the phone at once when its copy is of this release; other
     collection pages try the network for 3 s, then the phone's copy (the network answer, if it comes
     later, refreshes the copy). Without any copy: the network, or the "no connection" page.
   - The API is never cached, except the form definitions listed for offline use.
   - Logging out works at once, even offline: the user's pages are deleted before the server is asked, and
     when it does not answer within a few seconds the phone says it has logged out and keeps the logout (the
     form's own fields, CSRF token included). It is sent to the server before any other request of this
     browser goes out; until the server has it, no other request goes out at all (the logged-out user's
     session cookie is still in the browser). */
"use strict";
var VERSION = "__VERSION__";
var STATIC = "phuhop-static-" + VERSION;
var PAGES = "phuhop-pages-";
var STATE = "phuhop-state";
var ASSETS = ["/static/app.css", "/static/store.js", "/static/queue.js", "/static/form.js", "/static/logic.js",
              "/static/validate.js", "/static/manifest.json", "/static/icon.svg", "/favicon.ico"];
var NETWORK_WAIT = 2500;   /* a cached collection page is shown if the server has not answered by then */
var FIRST_WAIT = 20000;    /* without a cached copy: how long to wait before saying the server is unreachable */
var LOGOUT_WAIT = 4000;    /* logging out: how long the server may take before the phone logs out on its own */

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    /* The "no connection" page is fetched without cookies: it must name nobody on a shared phone. */
    return cache.addAll(ASSETS).then(function () {
      return Promise.all(["/offline", "/offline/logout"].map(function (path) {
        return fetch(path, { credentials: "omit" }).then(function (response) {
          if (!response.ok) { throw new Error(path + ": " + response.status); }
          return cache.put(path, response);
        });
      }));
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name !== STATIC && name !== STATE && name.indexOf(PAGES) !== 0;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* ---------------------------------------------------------------- who uses the phone now */

function readState(key) {
  return caches.open(STATE).then(function (cache) { return cache.match("/__state/" + key); })
    .then(function (hit) { return hit ? hit.json() : null; });
}
function writeState(key, value) {
  return caches.open(STATE).then(function (cache) {
    return cache.put("/__state/" + key, new Response(JSON.stringify(value), { headers: { "content-type": "application/json" } }));
  });
}
function currentUser() { return readState("user").then(function (state) { return state ? state.user : null; }); }

var switching = Promise.resolve();
/* The server named who this response was for (null: nobody is logged in). Another user's pages go. */
function setUser(user) {
  switching = switching.then(function () {
    return currentUser().then(function (before) {
      if (before === user) { return null; }
      var gone = before ? Promise.all([caches.delete(PAGES + before), writeState("versions-" + before, {})]) : null;
      return Promise.resolve(gone).then(function () { return writeState("user", { user: user }); });
    });
  });
  return switching;
}

function userOf(response) {
  var named = response.headers.get("x-phuhop-user");
  return named ? decodeURIComponent(named) : null;
}

/* ---------------------------------------------------------------- keeping a user's pages */

function isCollection(url) { return url.pathname === "/my" || url.pathname.indexOf("/my/") === 0; }
function isForm(url) { return url.pathname.indexOf("/my/forms/") === 0; }
function pageKey(url) { return new URL(url.pathname, self.location.origin).href; }

function keep(user, url, response, version) {
  return caches.open(PAGES + user).then(function (cache) { return cache.put(pageKey(url), response); })
    .then(function () {
      return readState("versions-" + user).then(function (versions) {
        versions = versions || {};
        versions[url.pathname] = version || "";
        return writeState("versions-" + user, versions);
      });
    });
}

function cachedPage(url) {
  return currentUser().then(function (user) {
    if (!user) { return null; }
    return caches.open(PAGES + user).then(function (cache) { return cache.match(pageKey(url)); })
      .then(function (hit) {
        if (!hit) { return null; }
        return readState("versions-" + user).then(function (versions) {
          var version = (versions || {})[url.pathname] || "";
          return { response: hit, current: version.indexOf(VERSION + ".") === 0 };
        });
      });
  });
}

var syncing = null;
/* Fetch what changed of this user's offline set; answers how many URLs the phone keeps. */
function sync() {
  if (syncing) { return syncing; }
  syncing = withTimeout(fetch("/api/my/offline", { cache: "no-store", credentials: "same-origin" }), 20000)
    .then(function (response) {
      if (response.status === 401) { return setUser(null).then(function () { return { count: 0, user: null }; }); }
      if (!response.ok) { throw new Error("offline list: " + response.status); }
      return response.json().then(function (manifest) {
        return setUser(manifest.user).then(function () { return refresh(manifest); });
      });
    });
  syncing.then(clear, clear);
  function clear() { syncing = null; }
  return syncing;
}

function refresh(manifest) {
  var user = manifest.user;
  return Promise.all([caches.open(PAGES + user), readState("versions-" + user)]).then(function (opened) {
    var cache = opened[0];
    var versions = opened[1] || {};
    var wanted = Object.keys(manifest.urls);
    var todo = wanted.filter(function (path) { return versions[path] !== manifest.urls[path]; });
    /* One at a time: a 2G link shared by many requests finishes none of them. */
    return todo.reduce(function (chain, path) {
      return chain.then(function () {
        return withTimeout(fetch(path, { cache: "no-store", credentials: "same-origin" }), 30000).then(function (response) {
          if (!response.ok || userOf(response) !== user) { throw new Error(path + ": " + response.status); }
          return cache.put(pageKey(new URL(path, self.location.origin)), response).then(function () {
            versions[path] = manifest.urls[path];
          });
        });
      });
    }, Promise.resolve()).then(function () {
      /* What the server no longer lists (a retired form version) is dropped. */
      var stale = Object.keys(versions).filter(function (path) { return wanted.indexOf(path) < 0; });
      stale.forEach(function (path) { delete versions[path]; });
      return Promise.all(stale.map(function (path) { return cache.delete(pageKey(new URL(path, self.location.origin))); }));
    }).then(function () { return writeState("versions-" + user, versions); })
      .then(function () { return { count: wanted.length, user: user, version: VERSION }; });
  });
}

self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "sync") { return; }
  var port = event.ports && event.ports[0];
  var done = sync().then(function (result) { if (port) { port.postMessage(result); } },
                         function (error) { if (port) { port.postMessage({ error: String(error) }); } });
  event.waitUntil(done);
});

/* ---------------------------------------------------------------- logging out, with or without the server */

var pendingLogout;  /* undefined: not read yet; null: none; else the logout the server has not had yet */
var delivering = null;

function readLogout() {
  return readState("logout").then(function (pending) { pendingLogout = pending; return pending; });
}

/* POST /logout as the page sent it; resolves to the server's answer once it has ended the session. */
function tellServer(pending) {
  return fetch("/logout", {
    method: "POST", body: pending.body, credentials: "same-origin", redirect: "manual", cache: "no-store",
    headers: { "content-type": pending.type || "application/x-www-form-urlencoded" }
  }).then(function (response) {
    /* 303: logged out. 403: the CSRF token changed since (the session may already be over): ask again with a
       fresh token, read from the login page. */
    if (response.status === 403 && !pending.retried) {
      return fetch("/login", { credentials: "same-origin", cache: "no-store" }).then(function (page) {
        return page.text();
      }).then(function (html) {
        var token = /name="_csrf_token" value="([^"]+)"/.exec(html);
        if (!token) { throw new Error("logout: no CSRF token"); }
        return tellServer({ body: "_csrf_token=" + encodeURIComponent(token[1]), retried: true });
      });
    }
    /* A server in trouble (5xx) is asked again later; any other refusal is final (or the phone would stay
       locked behind a logout that can never be delivered). */
    if (response.status >= 500) { throw new Error("logout: " + response.status); }
    return writeState("logout", null).then(function () { pendingLogout = null; return response; });
  });
}

/* Before any other request: the logout the server has not had yet. Resolves to false while it cannot be told. */
function loggedOutFirst() {
  return (pendingLogout === undefined ? readLogout() : Promise.resolve(pendingLogout)).then(function (pending) {
    if (!pending) { return true; }
    if (!delivering) {
      delivering = withTimeout(tellServer(pending), LOGOUT_WAIT).then(function () { return true; },
                                                                      function () { return false; });
      delivering.then(function () { delivering = null; });
    }
    return delivering;
  });
}

function logout(event) {
  var request = event.request;
  return request.clone().text().then(function (body) {
    var pending = { body: body, type: request.headers.get("content-type"), at: new Date().toISOString() };
    /* First forget the user (their pages, which user the phone serves), then ask the server. */
    return Promise.all([writeState("logout", pending), setUser(null)]).then(function () {
      pendingLogout = pending;
      var told = tellServer(pending);
      event.waitUntil(told.catch(function () {}));
      return withTimeout(told, LOGOUT_WAIT).catch(function () {
        return caches.open(STATIC).then(function (cache) { return cache.match("/offline/logout"); })
          .then(function (hit) { return hit || offlinePage(); });
      });
    });
  });
}

/* ---------------------------------------------------------------- answering requests */

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

function offlinePage() {
  return caches.open(STATIC).then(function (cache) { return cache.match("/offline"); }).then(function (hit) {
    return hit || new Response("offline", { status: 503, headers: { "content-type": "text/plain" } });
  });
}

/* The network's answer to a navigation: it says who is logged in, and a collection page is kept. */
function observed(request, url, response) {
  var html = (response.headers.get("content-type") || "").indexOf("text/html") === 0;
  /* Only a page that was served says who is logged in (a 404 or 500 page knows nobody). */
  if (response.type === "opaqueredirect" || !html || !response.ok) { return Promise.resolve(response); }
  var user = userOf(response);
  return setUser(user).then(function () {
    if (user && request.method === "GET" && isCollection(url) && !url.search) {
      return keep(user, url, response.clone(), response.headers.get("x-phuhop-version")).then(function () {
        return response;
      }, function () { return response; });
    }
    return response;
  });
}

function navigate(event) {
  var request = event.request;
  var url = new URL(request.url);
  var network = fetch(request).then(function (response) { return observed(request, url, response); });
  if (request.method !== "GET") { return network.catch(offlinePage); }  /* a sent form is never cut short */
  if (!isCollection(url)) {  /* a stalled server: say so, rather than a page that spins for minutes */
    return withTimeout(network, FIRST_WAIT).catch(offlinePage);
  }
  return cachedPage(url).then(function (hit) {
    if (hit && hit.current && isForm(url)) {
      event.waitUntil(network.catch(function () {}));
      return hit.response;
    }
    var wait = withTimeout(network, hit ? NETWORK_WAIT : FIRST_WAIT);
    if (hit) { event.waitUntil(network.catch(function () {})); }
    return wait.catch(function () { return hit ? hit.response : offlinePage(); });
  });
}

function asset(request) {
  return caches.match(request, { ignoreSearch: true }).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(STATIC).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

function definition(request) {
  var url = new URL(request.url);
  return fetch(request).catch(function () {
    return cachedPage(url).then(function (hit) { if (hit) { return hit.response; } throw new Error("offline"); });
  });
}

function route(event, url) {
  var request = event.request;
  if (request.mode === "navigate") { return navigate(event); }
  if (request.method === "GET" && url.pathname.indexOf("/api/forms/") === 0) { return definition(request); }
  return null;  /* the browser's own fetch */
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "GET" && (url.pathname.indexOf("/static/") === 0 || url.pathname === "/favicon.ico")) {
    event.respondWith(asset(request));  /* the same for everybody, and no cookie needed */
    return;
  }
  if (request.method === "POST" && url.pathname === "/logout") { event.respondWith(logout(event)); return; }
  if (pendingLogout === null) {  /* the usual case, decided at once */
    var answer = route(event, url);
    if (answer) { event.respondWith(answer); }
    return;
  }
  /* A logout the server has not had yet (or not known yet): it goes first; while it cannot, nothing goes. */
  event.respondWith(loggedOutFirst().then(function (clear) {
    if (!clear) { return request.mode === "navigate" ? offlinePage() : Response.error(); }
    return route(event, url) || fetch(request);
  }));
});
