/* The phone's outbox: submissions wait here (localStorage) until the server has stored them.
   Each carries the UUID made when the collaborator pressed "submit", so a retry, a double send or a
   replay after reload is stored once by the server. Sending retries with back-off while offline. */
(function () {
  "use strict";
  var KEY = "phuhop:outbox";
  var timer = null;
  var delay = 2000;
  var MAX_DELAY = 5 * 60 * 1000;
  var listeners = [];

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  var KEEP_STORED = 50;
  function save(items) {
    /* Keep everything not yet stored; of the stored ones, only the latest few, as a receipt. */
    var stored = items.filter(function (item) { return item.status === "stored"; });
    var drop = stored.slice(0, Math.max(0, stored.length - KEEP_STORED));
    items = items.filter(function (item) { return drop.indexOf(item) < 0; });
    localStorage.setItem(KEY, JSON.stringify(items));
    notify();
  }
  function notify() { listeners.forEach(function (fn) { fn(load()); }); }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function enqueue(entry) {
    var items = load();
    entry.uuid = entry.uuid || newUuid();
    entry.status = "queued";
    entry.queued_at = new Date().toISOString();
    items.push(entry);
    save(items);
    flush();
    return entry.uuid;
  }

  function update(uuid, changes) {
    save(load().map(function (item) { return item.uuid === uuid ? Object.assign(item, changes) : item; }));
  }

  function sendOne(item) {
    return fetch("/api/submissions", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "x-csrftoken": csrfToken() },
      body: JSON.stringify({ uuid: item.uuid, form_id: item.form_id, form_version: item.form_version,
                             answers: item.answers, client_created_at: item.queued_at })
    }).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        return response.json().then(function (body) {
          update(item.uuid, { status: "stored", stored_at: body.received_at, duplicate: body.duplicate });
          return true;
        });
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429
          && response.status !== 401) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          update(item.uuid, { status: "rejected", detail: body.detail || String(response.status), errors: body.errors || [] });
          return true;
        });
      }
      return false; /* 401 (logged out), 408, 429, 5xx: keep it and try again later */
    }, function () { return false; });
  }

  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    var pending = load().filter(function (item) { return item.status === "queued"; });
    if (!pending.length) { delay = 2000; return Promise.resolve(); }
    return pending.reduce(function (chain, item) {
      return chain.then(function (ok) { return ok ? sendOne(item) : false; });
    }, Promise.resolve(true)).then(function (ok) {
      if (ok) { delay = 2000; } else { delay = Math.min(delay * 2, MAX_DELAY); }
      if (load().some(function (item) { return item.status === "queued"; })) { timer = setTimeout(flush, delay); }
    });
  }

  function forget(uuid) { save(load().filter(function (item) { return item.uuid !== uuid; })); }

  window.addEventListener("online", function () { delay = 2000; flush(); });
  window.addEventListener("storage", function (event) { if (event.key === KEY) { notify(); } });

  window.PhuhopOutbox = {
    items: load, enqueue: enqueue, flush: flush, forget: forget,
    onChange: function (fn) { listeners.push(fn); fn(load()); }
  };
  /* Show the outbox in any page that has a #outbox list and #page-data with translated messages. */
  function render(list, messages) {
    function label(item) {
      var text = messages[item.status] || item.status;
      return item.duplicate ? messages.duplicate : text;
    }
    PhuhopOutbox.onChange(function (items) {
      list.textContent = "";
      var shown = items.slice().reverse().slice(0, 20);
      if (!shown.length) {
        var empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = messages.nothing_queued;
        list.appendChild(empty);
      }
      shown.forEach(function (item) {
        var li = document.createElement("li");
        li.dataset.uuid = item.uuid;
        li.dataset.status = item.status;
        var title = document.createElement("strong");
        title.textContent = item.title || item.form_id;
        var badge = document.createElement("span");
        badge.className = "badge " + item.status;
        badge.textContent = label(item);
        var when = document.createElement("span");
        when.className = "muted";
        when.textContent = " " + new Date(item.queued_at).toLocaleString(document.documentElement.lang);
        li.append(title, " ", badge, when);
        if (item.status === "rejected") {
          var why = document.createElement("p");
          why.className = "field-error";
          why.textContent = [item.detail].concat((item.errors || []).map(function (e) { return e.field + ": " + e.message; })).join(" · ");
          var drop = document.createElement("button");
          drop.type = "button"; drop.className = "link"; drop.textContent = messages.forget;
          drop.addEventListener("click", function () { forget(item.uuid); });
          li.append(why, drop);
        }
        if (item.status === "queued") {
          var retry = document.createElement("button");
          retry.type = "button"; retry.className = "link"; retry.textContent = messages.retry;
          retry.addEventListener("click", function () { delay = 2000; flush(); });
          li.append(" ", retry);
        }
        list.appendChild(li);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("outbox");
    var data = document.getElementById("page-data");
    if (list && data) { render(list, JSON.parse(data.textContent).messages); }
  });

  if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/sw.js").catch(function () {}); }
  flush();
})();
