"""Per-file collection, part two: how a function's code flows, read from the CST of its body.

Whether the end of a function can be reached (it then returns None without saying so), which
calls run first (before anything that may not run: the leading statements, entered through a
`try` whose handlers all refuse and through `with` blocks), what a test of the deployment's
environment looks like (`if get_config("ENV", "DEV") == "PROD":`), and what an instance
attribute is set from (`self.auto_error = auto_error`), which allow-list the request's path is
tested against; and what an expression shows (a 401/403 status, a block that refuses). Pure
functions of libcst nodes, and FlowRecorder, the base of the evidence recorder
(collect_evidence.py), which notes their answers on the function's frame.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.project.collect_values import Frame, ValueReader
from fastauthlint.project.known import strongest
from fastauthlint.project.names import dotted
from fastauthlint.project.values import V

# -- what an expression shows ---------------------------------------------------------------

def status_code(node: cst.CSTNode) -> int:
    """401 or 403 for an integer or a `status.HTTP_401_UNAUTHORIZED`-style name, else 0."""
    if isinstance(node, cst.Integer):
        return int(node.value) if node.value in ("401", "403") else 0
    name = astutil.name_of(node)
    if not name:
        return 0
    if name.startswith("HTTP_401") or name == "UNAUTHORIZED":
        return 401
    if name.startswith("HTTP_403") or name == "FORBIDDEN":
        return 403
    return 0


def sub_expressions(node: cst.CSTNode):
    """The expression children of the node kinds a condition or a status argument is made of;
    cheaper than `node.children` (which rebuilds the node) for these small walks."""
    if type(node) is cst.Attribute:
        yield node.value
    elif type(node) is cst.Call:
        yield node.func
        for a in node.args:
            yield a.value
    elif type(node) is cst.Comparison:
        yield node.left
        for c in node.comparisons:
            yield c.comparator
    elif type(node) is cst.BooleanOperation:
        yield node.left
        yield node.right
    elif type(node) is cst.UnaryOperation:
        yield node.expression
    elif type(node) is cst.BinaryOperation:
        yield node.left
        yield node.right
    elif type(node) is cst.Subscript:
        yield node.value
        for e in node.slice:
            if type(e.slice) is cst.Index:
                yield e.slice.value
    elif type(node) in (cst.List, cst.Tuple, cst.Set):
        for el in node.elements:
            yield el.value
    elif type(node) is cst.Await:
        yield node.expression


def expr_walk(node: cst.CSTNode, limit: int = 200) -> Iterator[cst.CSTNode]:
    return astutil.bounded_walk(node, sub_expressions, limit)


def expr_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The expression children of any expression (conditional expressions, comprehensions,
    dicts, f-strings too), without `node.children`; an attribute's name and a keyword argument's
    name are not among them."""
    if type(node) is cst.IfExp:
        yield from (node.test, node.body, node.orelse)
    elif type(node) in (cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp):
        if type(node) is cst.DictComp:
            yield from (node.key, node.value)
        else:
            yield node.elt
        comp = node.for_in
        while comp is not None:
            yield comp.iter
            for cond in comp.ifs:
                yield cond.test
            comp = comp.inner_for_in
    elif type(node) is cst.Dict:
        for el in node.elements:
            if type(el) is cst.DictElement:
                yield from (el.key, el.value)
            else:
                yield el.value
    elif type(node) is cst.FormattedString:
        for part in node.parts:
            if type(part) is cst.FormattedStringExpression:
                yield part.expression
    elif type(node) is cst.Lambda:
        yield node.body
    elif type(node) is cst.NamedExpr:
        yield node.value
    else:
        yield from sub_expressions(node)


def walk_expr(node: cst.CSTNode, limit: int = 400) -> Iterator[cst.CSTNode]:
    return astutil.bounded_walk(node, expr_children, limit)


def mentions_status(node: cst.CSTNode) -> int:
    """A 401/403 status among a raised/returned call's arguments (`HTTPException(401)`,
    `status_code=status.HTTP_401_UNAUTHORIZED`, `HTTPStatus.FORBIDDEN.value`); 0 if none."""
    if isinstance(node, cst.Call):
        found = 0
        for a in node.args:
            # `status_code=401`, `httpstatus_code=HTTPStatus.FORBIDDEN`, `status=403`, `code=401`
            if a.keyword is None or "status" in a.keyword.value or a.keyword.value == "code":
                for n in expr_walk(a.value, 8):
                    found = strongest(found, status_code(n))
            elif a.keyword.value in BODY_KEYWORDS:
                found = strongest(found, body_status(a.value))
        return found
    return status_code(node)


# a response's body: APIs answering HTTP 200 with `{"code": 401}` refuse in the body
BODY_KEYWORDS = frozenset({"content", "body"})


def body_status(node: cst.BaseExpression) -> int:
    """401/403 as the `code`/`status` of a response body: `{"code": 401, ...}`, or a helper
    building it (`failure(message=..., code=401)`)."""
    if isinstance(node, cst.Dict):
        found = 0
        for el in node.elements:
            if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) \
                    and el.key.evaluated_value in ("code", "status", "status_code"):
                found = strongest(found, status_code(el.value))
        return found
    found = 0
    if isinstance(node, cst.Call):
        for a in node.args:
            if a.keyword is not None and a.keyword.value in ("code", "status", "status_code"):
                found = strongest(found, status_code(a.value))
    return found


# a helper named for refusing (`raise_unauthorized()`, `abort(401)`), or closing the WebSocket
REFUSING_CALL = re.compile(r"(^|[._])(raise|abort|deny|reject|forbid|unauthori[sz]ed|forbidden)"
                           r"|(^|[._])(websocket|ws|socket|conn\w*)\.close$", re.I)


def refuses(body: cst.BaseSuite) -> bool:
    """A block that ends the request: it raises, returns a 401/403 response, or calls a helper
    named for refusing (`raise_unauthorized()`, `abort(401)`)."""
    for n in astutil.walk(body):
        if isinstance(n, cst.Raise):
            return True
        if isinstance(n, cst.Return) and n.value is not None and mentions_status(n.value):
            return True
        if isinstance(n, cst.Call) and REFUSING_CALL.search(dotted(n.func) or astutil.name_of(n.func) or ""):
            return True
    return False


# Calls that do nothing the request depends on: logging, printing, accepting a WebSocket.
_INERT_CALL = re.compile(r"^(print|(\w+\.)*(log|logger|logging|_logger|LOGGER|log_)\.\w+|(\w+\.)*accept)$")
_APPENDS = frozenset({"append", "extend", "add", "update", "insert", "setdefault"})
LEAD_LIMIT = 6  # leading statements recorded per function


def _terminates(stmt: cst.BaseStatement) -> bool:
    """The statement never completes normally: it returns or raises on every path."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return any(isinstance(s, (cst.Return, cst.Raise)) for s in stmt.body)
    if isinstance(stmt, cst.If):
        if stmt.orelse is None:
            return False
        other = stmt.orelse.body if isinstance(stmt.orelse, cst.Else) else None
        if isinstance(stmt.orelse, cst.If):
            return block_terminates(stmt.body) and _terminates(stmt.orelse)
        return block_terminates(stmt.body) and other is not None and block_terminates(other)
    if isinstance(stmt, cst.Try):
        main = block_terminates(stmt.body) or (stmt.orelse is not None and block_terminates(stmt.orelse.body))
        if stmt.finalbody is not None and block_terminates(stmt.finalbody.body):
            return True
        return main and all(block_terminates(h.body) for h in stmt.handlers)
    if isinstance(stmt, cst.With):
        return block_terminates(stmt.body)
    if isinstance(stmt, cst.While):
        # `while True:` without a break never falls through
        test = stmt.test
        return (isinstance(test, cst.Name) and test.value == "True"
                and not any(isinstance(n, cst.Break) for n in astutil.walk(stmt.body)))
    return False


def block_terminates(body: cst.BaseSuite) -> bool:
    stmts = body.body if isinstance(body, cst.IndentedBlock) else None
    if stmts is None:  # `if x: return` on one line
        return isinstance(body, cst.SimpleStatementSuite) and any(
            isinstance(s, (cst.Return, cst.Raise)) for s in body.body)
    return any(_terminates(s) for s in stmts)


def ends_open(fn: cst.FunctionDef) -> bool:
    """The end of the function's body can be reached (an implicit `return None`)."""
    return not block_terminates(fn.body)


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, (cst.SimpleString,
                                                                                        cst.ConcatenatedString)))


def _statement_expressions(stmt: cst.SimpleStatementLine) -> Iterator[cst.BaseExpression]:
    for small in stmt.body:
        if type(small) in (cst.Expr, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return):
            if small.value is not None:
                yield small.value
        elif type(small) is cst.Raise and small.exc is not None:
            yield small.exc


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """The calls a simple statement or an expression always makes: not those in a conditional
    expression's branches, the right side of `and`/`or`, lambdas or comprehensions."""
    stack: List[cst.CSTNode] = list(_statement_expressions(node)) if type(node) is cst.SimpleStatementLine \
        else [node]
    n = 0
    while stack and n < 400:
        cur = stack.pop()
        n += 1
        if type(cur) in (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp):
            continue
        if type(cur) is cst.Call:
            yield cur
        if type(cur) is cst.IfExp:
            stack.append(cur.test)
        elif type(cur) is cst.BooleanOperation:
            stack.append(cur.left)
        else:
            stack.extend(reversed(list(expr_children(cur))))


def _inert(call: cst.Call) -> bool:
    text = dotted(call.func) or ""
    return bool(text) and bool(_INERT_CALL.match(text))


def lead_statements(stmts: Sequence[cst.BaseStatement], out: List[List[cst.Call]]) -> bool:
    """Append the calls of each leading statement to `out` (statements that only log are left out);
    False once execution may stop following them (a return, a conditional, a loop)."""
    for st in stmts:
        if len(out) >= LEAD_LIMIT:
            return False
        if _is_docstring(st) or isinstance(st, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(st, cst.SimpleStatementLine):
            calls = [c for c in calls_in(st) if not _inert(c)]
            if calls:
                out.append(calls)
            if any(isinstance(s, (cst.Return, cst.Raise)) for s in st.body):
                return False
            continue
        if isinstance(st, cst.Try):
            # a failure inside reaches the client unless a handler swallows it
            if st.handlers and not all(refuses(h.body) for h in st.handlers):
                return False
            if not lead_statements(st.body.body, out):
                return False
            continue
        if isinstance(st, cst.With):
            calls = [c for item in st.items for c in calls_in(item.item) if not _inert(c)]
            if calls:
                out.append(calls)
            if not lead_statements(st.body.body, out):
                return False
            continue
        return False
    return True


def _read_from(value: cst.BaseExpression, names: set, depth: int = 0) -> bool:
    """The value only looks into one of `names`: `token`, `request.cookies.get("sid")`, and either
    side of an `or` (`request.cookies.get("sid") or request.headers.get("X-Session")`)."""
    if type(value) is cst.BooleanOperation and depth < 8:
        return _read_from(value.left, names, depth + 1) or _read_from(value.right, names, depth + 1)
    return head_name(value) in names


def head_name(expr: cst.BaseExpression) -> Optional[str]:
    """The name an expression reads from when it only looks into it: `token`, `creds.credentials`,
    `header.split(" ")[1]`, `await request.json()`; None for a call of a plain function
    (`create_token(user)` makes a new value)."""
    cur = expr
    for _ in range(20):
        if type(cur) is cst.Name:
            return cur.value
        if type(cur) is cst.Await:
            cur = cur.expression
        elif type(cur) is cst.Attribute:
            cur = cur.value
        elif type(cur) is cst.Subscript:
            cur = cur.value
        elif type(cur) is cst.Call and type(cur.func) is cst.Attribute:
            cur = cur.func.value
        else:
            return None
    return None


def mentions(expr: cst.CSTNode, names: Set[str]) -> List[str]:
    """The `names` an expression mentions, as "p:<name>" (parameters), and the `self.<attr>`
    attributes it reads, as "a:<attr>"."""
    out: List[str] = []
    for n in walk_expr(expr):
        if isinstance(n, cst.Attribute) and isinstance(n.value, cst.Name) and n.value.value == "self":
            out.append(f"a:{n.attr.value}")
        elif isinstance(n, cst.Name) and n.value in names and n.value != "self":
            out.append(f"p:{n.value}")
    return list(dict.fromkeys(out))


def self_attrs(expr: cst.CSTNode) -> List[Tuple[str, bool]]:
    """`self.<attr>` mentioned by a test, with whether the test holds when it is truthy (False
    under a `not`)."""
    out: List[Tuple[str, bool]] = []
    stack: List[Tuple[cst.CSTNode, bool]] = [(expr, True)]
    n = 0
    while stack and n < 200:
        cur, positive = stack.pop()
        n += 1
        if isinstance(cur, cst.UnaryOperation) and isinstance(cur.operator, cst.Not):
            stack.append((cur.expression, not positive))
        elif isinstance(cur, cst.Attribute) and isinstance(cur.value, cst.Name) and cur.value.value == "self":
            out.append((cur.attr.value, positive))
        else:
            stack.extend((c, positive) for c in expr_children(cur))
    return out


def appended_attr(call: cst.Call) -> Optional[str]:
    """`self.<attr>.append(...)` (extend, add, update...): the attribute filled."""
    f = call.func
    if isinstance(f, cst.Attribute) and f.attr.value in _APPENDS and isinstance(f.value, cst.Attribute) \
            and isinstance(f.value.value, cst.Name) and f.value.value.value == "self":
        return f.value.attr.value
    return None


# -- the deployment's environment ---------------------------------------------------------------

_ENV_KEY = re.compile(r"(^|_)(env|environment|mode|stage|profile|deployment)$", re.I)
_CONFIG_READ = re.compile(r"^(get_?config|getenv|get_?setting|get_?env|config|env)$", re.I)
_ENV_VALUE = re.compile(r"^[A-Za-z0-9_.-]{1,24}$")


def config_read(expr: cst.BaseExpression, env_locals: Dict[str, Tuple[str, Optional[str], bool]]
                ) -> Optional[Tuple[str, Optional[str], bool]]:
    """(key, literal default, whether a default is given) of a read of an environment-like
    setting: `get_config("ENV", "DEV")`, `os.getenv("APP_ENV")`, `os.environ["ENV"]`, or a local
    bound to one."""
    if isinstance(expr, cst.Name):
        return env_locals.get(expr.value)
    if isinstance(expr, cst.Call):
        fname = astutil.name_of(expr.func) or ""
        if not (_CONFIG_READ.match(fname) or (fname == "get" and isinstance(expr.func, cst.Attribute)
                                              and astutil.name_of(expr.func.value) == "environ")):
            return None
        if not expr.args:
            return None
        key = astutil.literal_str(expr.args[0].value)
        if key is None or not _ENV_KEY.search(key):
            return None
        default_node = astutil.argument(expr, "default", 1)
        default = astutil.literal_str(default_node) if default_node is not None else None
        return key, default, default_node is not None
    if isinstance(expr, cst.Subscript) and astutil.name_of(expr.value) == "environ" and expr.slice:
        el = expr.slice[0].slice
        key = astutil.literal_str(el.value) if isinstance(el, cst.Index) else None
        if key is not None and _ENV_KEY.search(key):
            return key, None, False
    return None


def env_gate(test: cst.BaseExpression, env_locals) -> Optional[Tuple[str, bool]]:
    """An `if` on the environment that runs its body (False) or its else branch (True) only in
    some environments, which is not the environment the setting defaults to:
    `if get_config("ENV", "DEV") == "PROD":` -> ("ENV is PROD", False). None for any other test,
    and for a test the default satisfies (authentication on unless configured off)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    comp = test.comparisons[0]
    left, right = test.left, comp.comparator
    read = config_read(left, env_locals)
    if read is None:
        read = config_read(right, env_locals)
        left, right = right, left
    if read is None:
        return None
    key, default, has_default = read
    if isinstance(right, (cst.Tuple, cst.List, cst.Set)):
        values = [astutil.literal_str(e.value) for e in right.elements]
    else:
        values = [astutil.literal_str(right)]
    if not values or any(v is None or not _ENV_VALUE.match(v) for v in values):
        return None
    op = comp.operator
    if isinstance(op, (cst.Equal, cst.Is, cst.In)):
        positive = True
    elif isinstance(op, (cst.NotEqual, cst.IsNot, cst.NotIn)):
        positive = False
    else:
        return None
    # the branch that runs for the default value (None when unset)
    default_in = (default in values) if has_default else False
    shown = values[0] if len(values) == 1 else "one of " + ", ".join(values)
    if default_in == positive:
        # the default takes the body: gated branch is the else, when the setting is changed
        return (f"{key} is {'not ' if positive else ''}{shown}", True)
    return (f"{key} is {'' if positive else 'not '}{shown}", False)


# -- the request's path tested against an allow-list -------------------------------------------

EXEMPT_NAME = re.compile(r"public|exclu|skip|allow|white_?list|open|anonym|unprotected|ignore|exempt|bypass|"
                         r"no_?auth|without_auth|no_?check|not_?check|no_?login|not_?login|no_?verify|not_?verify",
                         re.I)
PATH_PARAMS = frozenset({"path", "url_path", "request_path", "route_path", "endpoint_path"})


def is_request_path(expr: cst.BaseExpression) -> bool:
    """`request.url.path`, `request.url`, `scope["path"]`, `request.scope["path"]`, and
    `request.get("path")` / `scope.get("path")` (a Starlette request is a mapping of its scope)."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and len(expr.args) == 1 and astutil.literal_str(expr.args[0].value) == "path":
        return True
    if isinstance(expr, cst.Attribute):
        if expr.attr.value == "path" and isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "url":
            return True
        return expr.attr.value == "url" and isinstance(expr.value, cst.Name)
    if isinstance(expr, cst.Subscript) and astutil.name_of(expr.value) == "scope" and expr.slice:
        el = expr.slice[0].slice
        return isinstance(el, cst.Index) and astutil.literal_str(el.value) == "path"
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and astutil.name_of(expr.func.value) == "scope" and expr.args:  # `scope.get("path", "")`
        return astutil.literal_str(expr.args[0].value) == "path"
    return False


def mentions_path(expr: cst.CSTNode, path_names: Set[str]) -> bool:
    return any((isinstance(n, cst.Name) and n.value in path_names) or is_request_path(n) for n in walk_expr(expr))


def exempt_lists(expr: cst.CSTNode, local: Callable[[str], bool]) -> List[cst.BaseExpression]:
    """Names and `self.` attributes named for letting requests through (`PUBLIC_PATHS`,
    `self.exclude_routes`, `settings.SKIP_AUTH`) in an expression; locals (`local(name)`) are not
    lists of the code's."""
    out: List[cst.BaseExpression] = []
    inner: Set[int] = set()
    for n in walk_expr(expr):
        if id(n) in inner:
            continue
        if isinstance(n, cst.Attribute) and isinstance(n.value, cst.Name):
            inner.add(id(n.value))
            head = n.value.value
            if EXEMPT_NAME.search(n.attr.value) and (head == "self" or not local(head)):
                out.append(n)
        elif isinstance(n, cst.Name) and EXEMPT_NAME.search(n.value) and not local(n.value):
            out.append(n)
    return out


_REGEX_METHODS = frozenset({"match", "search", "fullmatch"})


def regex_patterns(test: cst.BaseExpression, path_names: Set[str]) -> List[cst.BaseExpression]:
    """The compiled patterns or pattern strings a test matches the request's path against:
    `PUBLIC.match(path)`, `self.PRIVATE.search(path)`, `re.match(PATTERN, path)`."""
    out: List[cst.BaseExpression] = []
    for n in walk_expr(test):
        if not (isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in _REGEX_METHODS):
            continue
        args = [a.value for a in n.args]
        owner = n.func.value
        if isinstance(owner, cst.Name) and owner.value == "re" and len(args) >= 2:
            if mentions_path(args[1], path_names):
                out.append(args[0])
        elif args and mentions_path(args[0], path_names) and isinstance(owner, (cst.Name, cst.Attribute)):
            out.append(owner)
    return out


def literal_path_patterns(test: cst.BaseExpression, path_names: Set[str]) -> List[str]:
    """Regular expressions for literal tests of the request's path: `path == "/metrics"`,
    `path.startswith("/admin")`, `path in ("/a", "/b")` (a test of anything else: none)."""
    out: List[str] = []
    for n in walk_expr(test):
        lits: List[Optional[str]] = []
        exact = True
        if isinstance(n, cst.Comparison) and len(n.comparisons) == 1 and mentions_path(n.left, path_names):
            op, right = n.comparisons[0].operator, n.comparisons[0].comparator
            if isinstance(op, cst.Equal):
                lits = [astutil.literal_str(right)]
            elif isinstance(op, cst.In) and isinstance(right, (cst.Tuple, cst.List, cst.Set)):
                lits = [astutil.literal_str(e.value) for e in right.elements]
        elif isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "startswith" \
                and n.args and mentions_path(n.func.value, path_names):
            exact = False
            arg = n.args[0].value
            lits = [astutil.literal_str(e.value) for e in arg.elements] if isinstance(arg, cst.Tuple) else \
                [astutil.literal_str(arg)]
        if lits and all(x is not None and x.startswith("/") for x in lits):
            out.extend(re.escape(x) + ("/?$" if exact else "") for x in lits if x is not None)
    return out


def has_refusal(node: cst.CSTNode) -> bool:
    """The code raises, or builds a 401/403 response (also HTTP 200 with a body code 401)."""
    for n in astutil.walk(node):
        if isinstance(n, cst.Raise) or (isinstance(n, cst.Call) and mentions_status(n)):
            return True
    return False


def regex_open(fn: cst.FunctionDef, gates: Set[int]) -> bool:
    """Every refusal of the function is inside the body of an `if` matching the path against a
    pattern (ids in `gates`): paths matching none of those patterns are let through."""
    stack = [(fn.body, False)]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node is not fn:
            continue
        # (a bare `raise` in an `except` hands on an error of the app, not a refusal)
        if not inside and ((isinstance(node, cst.Raise) and node.exc is not None) or (
                isinstance(node, cst.Call) and mentions_status(node))):
            return False
        if isinstance(node, cst.If) and id(node) in gates:
            stack.append((node.body, True))
            if node.orelse is not None:
                stack.append((node.orelse, inside))
            continue
        stack.extend((c, inside) for c in astutil.children(node))
    return True


# -- the recorder's part ---------------------------------------------------------------------

class FlowRecorder(ValueReader):
    """Notes on the innermost function's frame how its code flows: the environment gates and
    `try` bodies around a statement, the tests guarding a `return None`, what instance
    attributes are set from, locals read out of parameters, allow-lists the request's path is
    tested against (the base of the evidence recorder)."""

    def _env_gated(self, frame: Frame) -> str:
        """The environment condition under which the current statement runs, when the
        deployment's default environment does not run it ("" if none): inside the branch of an
        `if` on the environment that the default does not take, or after one that returns in the
        default environment (`if env == "DEV": return fixed_user`)."""
        for gate, in_else in zip(frame.gates, frame.in_else):
            if gate is not None and gate[1] == in_else:
                return gate[0]
        for tests in frame.passed:
            for test in tests:
                gate = env_gate(test, frame.env_locals)
                if gate is not None and gate[1]:
                    return gate[0]
        return ""

    @staticmethod
    def _swallowed(frame: Frame) -> bool:
        """Inside a `try` body one of whose handlers lets the failure through (`except: pass`)."""
        for node in frame.swallow:
            if node.handlers and not all(refuses(h.body) for h in node.handlers):
                return True
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        frame = self._func()
        if frame is not None:
            frame.passed.append([])

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        frame = self._func()
        if frame is not None and frame.passed:
            frame.passed.pop()

    def visit_Try_body(self, node: cst.Try) -> None:
        frame = self._func()
        if frame is not None:
            frame.swallow.append(node)

    def leave_Try_body(self, node: cst.Try) -> None:
        frame = self._func()
        if frame is not None and frame.swallow:
            frame.swallow.pop()

    def _instance_guard(self, frame: Frame) -> Optional[Tuple[str, str]]:
        """A `return None` of a method reached only in one state of an instance attribute: the
        innermost enclosing `if` testing one (`if self.auto_error: raise ... else: return None`
        -> ("auto_error", "falsy")), else a loop over one (`for p in self.exclude: if ...:
        return None` -> ("exclude", "truthy"))."""
        if not frame.is_method:
            return None
        # `if self.auto_error: raise ...` then `return None`: reached when the test failed
        for tests in reversed(frame.passed):
            for test in reversed(tests):
                attrs = self_attrs(test)
                if attrs:
                    attr, positive = attrs[0]
                    return (attr, "falsy" if positive else "truthy")
        for test, in_else in zip(reversed(frame.tests), reversed(frame.in_else)):
            attrs = self_attrs(test)
            if attrs:
                attr, positive = attrs[0]
                return (attr, "truthy" if positive != in_else else "falsy")
        for it in reversed(frame.fors):
            attrs = self_attrs(it)
            if attrs:
                return (attrs[0][0], "truthy")
        return None

    def _note_regex_gate(self, frame: Frame, node: cst.If) -> None:
        """`if PUBLIC.match(path): return await call_next(request)` lets the paths it matches
        through; `if PRIVATE.match(path): ... refuse` guards only those (FuncFact.path_regex)."""
        if not (frame.path_names or frame.request_params or "scope" in frame.params):
            return
        pats = regex_patterns(node.test, frame.path_names)
        if not pats and has_refusal(node.body) and len(frame.path_regex) < 8:
            # `if request.url.path == "/metrics": ... refuse`: it guards that path only
            lit = literal_path_patterns(node.test, frame.path_names)
            if lit:
                frame.regex_gates.add(id(node))
                frame.path_regex.extend((V("str", q=x), "deny") for x in lit[:4])
            return
        if not pats or len(frame.path_regex) >= 8:
            return
        if has_refusal(node.body):
            kind = "deny"
            frame.regex_gates.add(id(node))
        elif block_terminates(node.body):
            kind = "allow"
        else:
            return
        for p in pats:
            frame.path_regex.append((self.val(p), kind))

    def _note_path_test(self, frame: Frame, expr: Optional[cst.BaseExpression]) -> None:
        """A test of the request's path against an allow-list (`if path in self.PUBLIC_PATHS`,
        `return any(path.startswith(p) for p in SKIP)`, in a loop over one): the lists."""
        # only functions that see the request or a path: a middleware, a dependency, `is_public(path)`
        # (a pure ASGI middleware sees the raw `scope`)
        if expr is None or not (frame.path_names or frame.request_params or "scope" in frame.params) \
                or not mentions_path(expr, frame.path_names):
            return

        def local(name: str) -> bool:
            return name in frame.params or name in frame.locals

        for n in [*exempt_lists(expr, local), *(x for it in frame.fors for x in exempt_lists(it, local))]:
            v = self.val(n)
            if v not in frame.path_lists and len(frame.path_lists) < 8:
                frame.path_lists.append(v)

    def _note_assign(self, frame: Frame, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """Bindings the evidence follows: locals read out of a parameter, locals bound to an
        environment setting or to the request's path, and what an instance attribute is set from."""
        if isinstance(target, cst.Tuple) and isinstance(value, cst.Tuple) and len(target.elements) == len(value.elements):
            for t, v in zip(target.elements, value.elements):
                self._note_assign(frame, t.value, v.value)
            return
        if isinstance(target, cst.Name) and is_request_path(value):
            frame.path_names.add(target.value)
        self._note_path_test(frame, value)
        if isinstance(target, cst.Name):
            name = target.value
            if _read_from(value, frame.derived):
                frame.derived.add(name)
            else:
                frame.derived.discard(name)
            read = config_read(value, frame.env_locals)
            if read is not None:
                frame.env_locals[name] = read
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                and target.value.value == "self" and frame.is_method:
            attr = target.attr.value
            srcs = mentions(value, set(frame.params) - {"self", "cls"})
            for src in srcs:
                frame.attr_src.append((attr, src, None))
            if not srcs:
                v = self.val(value)
                kind = "lit" if v.k == "lit" or (v.k in ("list", "dict") and not v.a) else (
                    "value" if v.k in ("list", "dict") else "unknown")
                frame.attr_src.append((attr, kind, v if kind != "unknown" else None))

    def leave_Assign(self, original_node: cst.Assign) -> None:
        frame = self._func()
        if frame is not None:
            for t in original_node.targets:
                self._note_assign(frame, t.target, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        frame = self._func()
        if frame is not None and original_node.value is not None:
            self._note_assign(frame, original_node.target, original_node.value)

