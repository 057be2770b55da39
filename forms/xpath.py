"""Our expressions (`forms.logic`) ↔ the XPath of XLSForm, both ways, for one form's fields.

ODK Collect checks `relevant` and `constraint` on the phone with XPath; phuhop keeps its own small
language as the source of truth. Export writes every operator in one canonical XPath shape
(`${key}` references, every inner operation parenthesised) and import parses the same subset back,
so that export → import gives the same expression. Mapping:

| ours                                   | XPath                                   |
|----------------------------------------|-----------------------------------------|
| `{"var": k}`                           | `${k}` (`.` is the field itself on import)|
| `==` `!=` `<` `<=` `>` `>=`            | `=` `!=` `<` `<=` `>` `>=`              |
| `and`, `or`, `!`, `if`, `+`, `-`       | `and`, `or`, `not()`, `if()`, `+`, `-`  |
| `== [yes_no field, true/false]`        | `${k} = 'yes'` / `'no'`                 |
| `in [x, select_many field]`            | `selected(${k}, x)`                     |
| `in [x, ["a", "b"]]`                   | `selected('a b', x)`                    |
| `in [x, text]`                         | `contains(text, x)`                     |

A one-operand `and`/`or` is written as its operand (the same for relevant and constraint).
XPath compares missing answers as empty strings where we say "unknown"; for the phone's checks
that difference does not matter (the server validates with `forms.logic` anyway).
Import also parses the few XPath shapes (`.`, `string-length`, `selected-at`, `count-selected`)
that `forms.xlsform` uses for min/max, lengths, exclusive choices and map bounds: `parse` gives
the syntax tree, `to_logic` converts one tree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.logic import is_number


class XPathError(ValueError):
    """An expression that cannot be translated; the message is English, for the form designer."""


# ------------------------------------------------------------------ ours → XPath

def to_xpath(expr: Any, types: Mapping[str, str]) -> str:
    """`expr` as XPath; `types` maps field keys to our field types (yes/no and select many matter)."""
    return _Writer(types).write(expr, top=True, boolean=True)


def quote(text: str) -> str:
    """An XPath string literal (XPath 1.0 has no escapes: a text with both quote marks cannot be written)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise XPathError(f"the text {text!r} has both kinds of quote marks, which XPath cannot write")


def number(value: int | float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise XPathError(f"{value!r} is not a number XPath can write")
    return repr(value) if isinstance(value, float) else str(value)


@dataclass
class _Writer:
    types: Mapping[str, str]

    def write(self, expr: Any, top: bool = False, boolean: bool = False) -> str:
        if isinstance(expr, dict):
            ((op, raw),) = expr.items()
            args = raw if isinstance(raw, list) else [raw]
            text = self._operation(op, args, boolean)
            return text[1:-1] if top and text.startswith("(") and _balanced_outer(text) else text
        if isinstance(expr, bool):
            return "true()" if expr else "false()"
        if isinstance(expr, str):
            return quote(expr)
        if is_number(expr):
            return number(expr)
        raise XPathError(f"{expr!r} cannot be written in XPath")

    def _operation(self, op: str, args: list[Any], boolean: bool) -> str:
        if op == "var":
            key = args[0]
            return f"(${{{key}}} = 'yes')" if boolean and self.types.get(key) == "yes_no" else f"${{{key}}}"
        if op in ("and", "or"):
            return "(" + f" {op} ".join(self.write(arg, boolean=True) for arg in args) + ")"
        if op == "!":
            return f"not({self.write(args[0], top=True, boolean=True)})"
        if op == "if":
            condition, then, other = args
            return (f"if({self.write(condition, top=True, boolean=True)}, {self.write(then, top=True)}, "
                    f"{self.write(other, top=True)})")
        if op in ("==", "!="):
            return self._equality(op, *args)
        if op in ("<", "<=", ">", ">="):
            return f"({self.write(args[0])} {op} {self.write(args[1])})"
        if op == "+":
            return "(" + " + ".join(self.write(arg) for arg in args) + ")"
        if op == "-":
            return f"({self.write(args[0])} - {self.write(args[1])})"
        if op == "in":
            return self._in(*args)
        raise XPathError(f"operator {op!r} has no XPath form")

    def _equality(self, op: str, left: Any, right: Any) -> str:
        symbol = "=" if op == "==" else "!="
        for var, literal in ((left, right), (right, left)):
            if isinstance(literal, bool) and self._var_type(var) == "yes_no":
                return f"({self.write(var)} {symbol} '{'yes' if literal else 'no'}')"
        return f"({self.write(left)} {symbol} {self.write(right)})"

    def _in(self, needle: Any, haystack: Any) -> str:
        if self._var_type(haystack) == "select_many":
            return f"selected({self.write(haystack)}, {self.write(needle, top=True)})"
        if isinstance(haystack, list):
            if not haystack:
                return "false()"
            if all(isinstance(item, str) and item and not re.search(r"[\s'\"]", item) for item in haystack):
                return f"selected('{' '.join(haystack)}', {self.write(needle, top=True)})"
            return "(" + " or ".join(f"({self.write(needle)} = {self.write(item)})" for item in haystack) + ")"
        return f"contains({self.write(haystack, top=True)}, {self.write(needle, top=True)})"

    def _var_type(self, expr: Any) -> str | None:
        if isinstance(expr, dict) and set(expr) == {"var"}:
            key = expr["var"][0] if isinstance(expr["var"], list) else expr["var"]
            return self.types.get(key)
        return None


def _balanced_outer(text: str) -> bool:
    """Whether the first "(" closes at the very end, so the outer pair can be dropped."""
    depth = 0
    quote_mark = None
    for index, char in enumerate(text):
        if quote_mark:
            quote_mark = None if char == quote_mark else quote_mark
        elif char in "'\"":
            quote_mark = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False


# ------------------------------------------------------------------ XPath syntax tree

@dataclass(frozen=True)
class Node:
    """`kind` is ref (value = key), self, str, num, call (value = name), op (value = operator)."""

    kind: str
    value: Any = None
    args: tuple[Node, ...] = ()


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_.-]*\})
    | (?P<num>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
    | (?P<name>[A-Za-z_][A-Za-z0-9_:-]*)
    | (?P<self>\.)
    )""", re.VERBOSE)
_WORD_OPERATORS = {"and", "or", "div", "mod"}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise XPathError(f"cannot read the expression at {text[position:position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        value = match.group(kind)
        if kind == "name" and value in _WORD_OPERATORS:
            kind = "op"
        tokens.append((kind, value))
        position = match.end()
    return tokens


def parse(text: str) -> Node:
    """The syntax tree of an XLSForm expression (only the XPath subset phuhop understands)."""
    parser = _Parser(_tokens(text))
    node = parser.expression()
    if parser.position != len(parser.tokens):
        raise XPathError(f"unexpected {parser.tokens[parser.position][1]!r}")
    return node


class _Parser:
    LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"))
    CHAINS = frozenset({"or", "and", "+"})  # n-ary at one level: `a or b or c` is one operation

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, value: str) -> None:
        token = self.peek()
        if token is None or token != ("op", value):
            raise XPathError(f"expected {value!r}" + (f", found {token[1]!r}" if token else " at the end"))
        self.position += 1

    def expression(self, level: int = 0) -> Node:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.expression(level + 1)
        chained = False
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in self.LEVELS[level]:
            self.position += 1
            right = self.expression(level + 1)
            op = token[1]
            if op in self.CHAINS and chained and left.value == op:
                left = Node("op", op, (*left.args, right))
            else:
                left = Node("op", op, (left, right))
            chained = True
        return left

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.position += 1
            operand = self.unary()
            if operand.kind == "num":
                return Node("num", -operand.value)
            return Node("op", "neg", (operand,))
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise XPathError("the expression ends too early")
        kind, value = token
        self.position += 1
        if kind == "ref":
            return Node("ref", value[2:-1])
        if kind == "num":
            return Node("num", float(value) if "." in value else int(value))
        if kind == "str":
            return Node("str", value[1:-1])
        if kind == "self":
            return Node("self")
        if kind == "op" and value == "(":
            inner = self.expression()
            self.take(")")
            return Node("paren", None, (inner,))
        if kind == "name" and self.peek() == ("op", "("):
            self.position += 1
            args: list[Node] = []
            if self.peek() != ("op", ")"):
                args.append(self.expression())
                while self.peek() == ("op", ","):
                    self.position += 1
                    args.append(self.expression())
            self.take(")")
            return Node("call", value, tuple(args))
        raise XPathError(f"unexpected {value!r}")


def unwrap(node: Node) -> Node:
    """The node without the parentheses around it."""
    while node.kind == "paren":
        node = node.args[0]
    return node


def conjuncts(node: Node) -> list[Node]:
    """The parts of a top-level `a and b and c` (a parenthesised `and` stays one part)."""
    if node.kind == "op" and node.value == "and":
        return list(node.args)
    return [node]


# ------------------------------------------------------------------ XPath → ours

_COMPARISONS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def to_logic(node: Node, types: Mapping[str, str], self_key: str | None = None) -> Any:
    """Our expression for an XPath tree; `types` are the fields it may read, `self_key` is what `.` means."""
    return _Reader(types, self_key).read(node)


def from_xpath(text: str, types: Mapping[str, str], self_key: str | None = None) -> Any:
    return to_logic(parse(text), types, self_key)


@dataclass
class _Reader:
    types: Mapping[str, str]
    self_key: str | None

    def read(self, node: Node) -> Any:
        node = unwrap(node)
        if node.kind == "ref":
            if node.value not in self.types:
                raise XPathError(f"${{{node.value}}} is not an earlier question of this form")
            return {"var": node.value}
        if node.kind == "self":
            if self.self_key is None:
                raise XPathError("'.' (this question) can only be used in a constraint")
            return {"var": self.self_key}
        if node.kind in ("str", "num"):
            return node.value
        if node.kind == "call":
            return self._call(node.value, node.args)
        return self._operation(node.value, node.args)

    def _operation(self, op: str, args: tuple[Node, ...]) -> Any:
        if op in ("and", "or"):
            return {op: [self.read(arg) for arg in args]}
        if op in _COMPARISONS:
            left, right = args
            if op in ("=", "!="):
                for var, literal in ((left, right), (right, left)):
                    key = self._key(var)
                    literal = unwrap(literal)
                    if key and self.types.get(key) == "yes_no" and literal.kind == "str" \
                            and literal.value in ("yes", "no"):
                        return {_COMPARISONS[op]: [self.read(var), literal.value == "yes"]}
            return {_COMPARISONS[op]: [self.read(left), self.read(right)]}
        if op == "+":
            return {"+": [self.read(arg) for arg in args]}
        if op == "-":
            return {"-": [self.read(args[0]), self.read(args[1])]}
        raise XPathError(f"the operator {op!r} is not supported")

    def _call(self, name: str, args: tuple[Node, ...]) -> Any:
        if name in ("true", "false") and not args:
            return name == "true"
        if name == "not" and len(args) == 1:
            return {"!": self.read(args[0])}
        if name == "if" and len(args) == 3:
            return {"if": [self.read(arg) for arg in args]}
        if name == "selected" and len(args) == 2:
            haystack, needle = unwrap(args[0]), args[1]
            if haystack.kind == "str":
                return {"in": [self.read(needle), haystack.value.split()]}
            key = self._key(haystack)
            if key and self.types.get(key) == "select_many":
                return {"in": [self.read(needle), self.read(haystack)]}
            raise XPathError("selected() needs a select_multiple question or a list of choice names in quotes")
        if name == "contains" and len(args) == 2:
            return {"in": [self.read(args[1]), self.read(args[0])]}
        raise XPathError(f"the function {name}() is not supported")

    def _key(self, node: Node) -> str | None:
        node = unwrap(node)
        if node.kind == "ref":
            return str(node.value)
        if node.kind == "self":
            return self.self_key
        return None
