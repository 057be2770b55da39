/* What the phone keeps in IndexedDB (not localStorage: photos are files, and storage must survive):
   - outbox: filled forms waiting for the server, by UUID; each names the user and commune it was made for;
   - drafts: forms being filled, by "<user>:<form>:<version>";
   - photos: shrunk photos of drafts and queued forms, by "<form UUID>/<name>".
   PhuhopStore.get/all/put/remove(store, …) return promises. */
(function (root) {
  "use strict";
  var opened = null;

  function open() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var request = indexedDB.open("phuhop", 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("outbox", { keyPath: "uuid" });
          db.createObjectStore("drafts", { keyPath: "key" });
          db.createObjectStore("photos", { keyPath: "id" }).createIndex("owner", "owner");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }

  function run(name, mode, action) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var request = action(transaction.objectStore(name));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  root.PhuhopStore = {
    get: function (name, key) { return run(name, "readonly", function (store) { return store.get(key); }); },
    all: function (name) { return run(name, "readonly", function (store) { return store.getAll(); }); },
    put: function (name, value) { return run(name, "readwrite", function (store) { return store.put(value); }); },
    remove: function (name, key) { return run(name, "readwrite", function (store) { return store.delete(key); }); },
    /* Every photo of one form (draft or queued), by its UUID. */
    photosOf: function (owner) {
      return run("photos", "readonly", function (store) { return store.index("owner").getAll(owner); });
    }
  };
})(window);
