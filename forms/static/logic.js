/* The phone's copy of forms/logic.py: the same JSON-Logic subset with the same semantics
   (a parity test runs one table of cases through both). See logic.py for the rules on
   missing values: absent/null/blank/empty-list answers are null, operators give null
   ("unknown") for null or wrongly typed operands, and/or/!/if use three-valued logic.
   Plain ES2017, no dependencies: a browser global `PhuhopLogic`, or `module.exports` in node. */
(function (root) {
  "use strict";

  var ARITY = {
    "var": [1, 1], "==": [2, 2], "!=": [2, 2], "<": [2, 2], "<=": [2, 2], ">": [2, 2], ">=": [2, 2],
    "and": [1, null], "or": [1, null], "!": [1, 1], "in": [2, 2], "if": [3, 3], "+": [2, null], "-": [2, 2]
  };

  function isMissing(value) {
    return value === null || value === undefined || (typeof value === "string" && value.trim() === "") ||
      (Array.isArray(value) && value.length === 0);
  }

  function isNumber(value) { return typeof value === "number" && isFinite(value); }

  function kind(value) {
    if (typeof value === "boolean") { return "bool"; }
    if (isNumber(value)) { return "number"; }
    if (typeof value === "string") { return "string"; }
    return null;
  }

  function strictEqual(left, right) {
    var k = kind(left);
    return k !== null && k === kind(right) && left === right;
  }

  function operator(expr) {
    var op = Object.keys(expr)[0];
    var raw = expr[op];
    return [op, Array.isArray(raw) ? raw : [raw]];
  }

  function truth(value) { return typeof value === "boolean" ? value : null; }

  function compare(op, left, right) {
    var k = kind(left);
    if ((k !== "number" && k !== "string") || k !== kind(right)) { return null; }
    if (op === "<") { return left < right; }
    if (op === "<=") { return left <= right; }
    if (op === ">") { return left > right; }
    return left >= right;
  }

  function evaluate(expr, answers) {
    if (Array.isArray(expr)) { return expr.map(function (item) { return evaluate(item, answers); }); }
    if (expr === null || typeof expr !== "object") { return expr === undefined ? null : expr; }
    var parts = operator(expr);
    var op = parts[0];
    var args = parts[1];
    if (!Object.prototype.hasOwnProperty.call(ARITY, op)) { throw new Error("unknown operator " + op); }
    if (op === "var") {
      var value = Object.prototype.hasOwnProperty.call(answers, args[0]) ? answers[args[0]] : null;
      return isMissing(value) ? null : value;
    }
    var values = args.map(function (arg) { return evaluate(arg, answers); });
    if (op === "and" || op === "or") {
      var truths = values.map(truth);
      var decisive = op === "or";
      if (truths.indexOf(decisive) >= 0) { return decisive; }
      return truths.indexOf(null) >= 0 ? null : !decisive;
    }
    if (op === "!") {
      var t = truth(values[0]);
      return t === null ? null : !t;
    }
    if (op === "if") {
      var c = truth(values[0]);
      return c === null ? null : (c ? values[1] : values[2]);
    }
    if (op === "==" || op === "!=") {
      if (kind(values[0]) === null || kind(values[1]) === null) { return null; }
      return strictEqual(values[0], values[1]) === (op === "==");
    }
    if (op === "<" || op === "<=" || op === ">" || op === ">=") { return compare(op, values[0], values[1]); }
    if (op === "in") {
      var needle = values[0];
      var haystack = values[1];
      if (kind(needle) === null) { return null; }
      if (Array.isArray(haystack)) { return haystack.some(function (item) { return strictEqual(needle, item); }); }
      if (typeof haystack === "string" && typeof needle === "string") { return haystack.indexOf(needle) >= 0; }
      return null;
    }
    if (!values.every(isNumber)) { return null; }
    if (op === "+") { return values.reduce(function (total, v) { return total + v; }, 0); }
    return values[0] - values[1];
  }

  var api = { evaluate: evaluate, isMissing: isMissing, isNumber: isNumber, strictEqual: strictEqual };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  root.PhuhopLogic = api;
})(typeof window !== "undefined" ? window : typeof self !== "undefined" ? self : this);
