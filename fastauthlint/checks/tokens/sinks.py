"""Where a credential must not go, for FAL401/FAL402 (the sinks of the taint analysis):

    FAL401: stdlib logging (module functions and logger objects, whatever their name, `extra=`),
    structlog/loguru keyword arguments, `print`, `sys.stdout/stderr.write`, `warnings.warn`,
    `pprint`.
    FAL402: `HTTPException(detail=..., headers=...)`, the message of a raised exception, response
    classes' content and headers, `response.headers[...] = ...`, and what a route returns.

`Sinks` checks the calls of each statement as the function walk reaches it and reports what a sink
receives (the rule modules decide which secrets count and word the message). What needs the other
files is recorded as facts: a parameter or a project call's result reaching a sink (`Flow`), a
secret or a parameter passed to a project function (`CallFlow`), and what a function returns.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import split_words
from fastauthlint.checks.tokens import jwt_parts, rejected, token_in_error_or_response, token_logged
from fastauthlint.checks.tokens.credentials import FOREIGN_ROOTS, may_be_credential
from fastauthlint.checks.tokens.facts import CallFlow, Flow, Handler, span_tuple
from fastauthlint.checks.tokens.handlers import Fate, caught_by, handler_fate
from fastauthlint.checks.tokens.taint import EMPTY, FunctionState, Label, Taint, sources
from fastauthlint.checks.tokens.token_in_error_or_response import RESPONSE_KINDS, token_response_shape
from fastauthlint.checks.tokens.values import SAFE_NAMES, service_method
from fastauthlint.findings import TEST_CODE_SEVERITY, Severity
from fastauthlint.project.names import dotted
from fastauthlint.project.programs import Held, hold

# Kinds of logged values that are no working credential, and what the message adds about them.
_NOT_WORKING = {jwt_parts.KIND: jwt_parts.NOTE, rejected.KIND: rejected.NOTE}

LOGGED = token_logged.RULE
ECHOED = token_in_error_or_response.RULE
RULES = {LOGGED: token_logged, ECHOED: token_in_error_or_response}

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log",
                         "msg", "trace", "success"})
LOGGER_FACTORIES = frozenset({"logging.getLogger", "logging.LoggerAdapter", "structlog.get_logger",
                              "structlog.getLogger", "structlog.stdlib.get_logger", "structlog.wrap_logger",
                              "loguru.logger.bind", "logging.root"})
LOGGER_OBJECTS = frozenset({"logging", "loguru.logger", "logging.root", "structlog"})
_LOGGER_NAME = re.compile(r"^_*(log|logger|logr|\w+_logger|\w+_log|audit_log|\w+logger)$", re.I)
# (`click.echo`/`typer.echo` are a command-line tool's interface, not its logs: a CLI that shows
# the operator a generated password is doing its job.)
PRINT_SINKS = frozenset({"sys.stdout.write", "sys.stderr.write", "sys.stdout.writelines", "sys.stderr.writelines",
                         "pprint.pprint", "pprint.pp", "warnings.warn", "sys.__stdout__.write", "sys.__stderr__.write"})
NOT_LOGGED_KWARGS = frozenset({"exc_info", "stack_info", "stacklevel", "level", "file", "flush", "sep", "end",
                               "category", "err", "nl", "color", "fg", "bg"})
HTTP_EXCEPTIONS = frozenset({"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
                             "starlette.exceptions.HTTPException", "fastapi.WebSocketException",
                             "starlette.exceptions.WebSocketException", "fastapi.exceptions.WebSocketException"})
_STD_STREAMS = frozenset({"sys.stdout", "sys.stderr"})
RESPONSE_MODULES = ("fastapi.responses.", "starlette.responses.", "fastapi.Response")


class Sinks:
    """The sinks of one file: which names are loggers, and what each sink call, header assignment
    and return statement of a function receives."""

    def __init__(self, ctx, values, report: Callable[..., None], calls_by_owner: Dict[int, List[cst.Call]]):
        self.ctx = ctx
        self.values = values
        self.report = report
        self.loggers: Set[str] = set()  # names (and `self.x` attributes) bound to loggers
        # The calls of each statement (by id), collected by the traversal: walking a libcst
        # subtree's `children` costs more than the traversal itself.
        self.calls_by_owner = calls_by_owner
        self._fates: Dict[int, Fate] = {}  # what each `except` does with what it catches (handlers.py)
        # Console output of a file that may be a script (programs.py): reported when linking,
        # unless the application imports the file.
        self.held: List[Held] = []

    # -- loggers ----------------------------------------------------------------------------------
    def read_constants(self, constants: Dict[str, cst.BaseExpression]) -> None:
        for name, value in constants.items():
            if isinstance(value, cst.Call) and self.is_logger_expr(value):
                self.loggers.add(name)

    def note_assign(self, node: cst.Assign) -> None:
        # `self.log = logging.getLogger(...)` anywhere: `self.log.info(...)` is a logger call.
        if self.is_logger_expr(node.value):
            for t in node.targets:
                if isinstance(t.target, (cst.Name, cst.Attribute)):
                    self.loggers.add(dotted(t.target) or "")

    def is_logger_expr(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Call):
            q = self.ctx.qualify(value.func)
            if q in LOGGER_FACTORIES or astutil.name_of(value.func) in ("getLogger", "get_logger", "get_task_logger"):
                return True
            if isinstance(value.func, cst.Attribute) and value.func.attr.value in ("bind", "opt", "patch", "new",
                                                                                   "getChild", "new_logger"):
                return self.is_logger(value.func.value)
            return False
        q = self.ctx.qualify(value) if isinstance(value, (cst.Name, cst.Attribute)) else None
        return q in LOGGER_OBJECTS

    def is_logger(self, node: cst.BaseExpression) -> bool:
        q = self.ctx.qualify(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if q in LOGGER_OBJECTS or (q is not None and q.startswith("loguru.logger")):
            return True
        text = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if text is not None and (text in self.loggers or
                                 (text.startswith(("self.", "cls.")) and text in self.loggers)):
            return True
        if isinstance(node, (cst.Name, cst.Attribute)):
            last = astutil.name_of(node) or ""
            return bool(_LOGGER_NAME.match(last))
        if isinstance(node, cst.Call):
            return self.is_logger_expr(node)
        return False

    # -- calls ------------------------------------------------------------------------------------
    def at(self, owner: cst.CSTNode, state: FunctionState, raised: Optional[cst.CSTNode] = None) -> None:
        """Check the calls of a statement (or of a compound statement's header)."""
        for call in self.calls_by_owner.get(id(owner), []):
            self._check_call(call, state, call is raised)

    def _check_call(self, call: cst.Call, state: FunctionState, raised: bool) -> None:
        sink = self._log_sink(call)
        if sink is not None:
            shown, exprs = sink
            self._sink(LOGGED, call, shown, exprs, state, response=False)
            return
        q = self.ctx.qualify(call.func)
        name = astutil.name_of(call.func)
        if q in HTTP_EXCEPTIONS or (q is None and name == "HTTPException"):
            exprs = [e for e in (astutil.argument(call, "detail", 1), astutil.argument(call, "headers", 2),
                                 astutil.argument(call, "reason", 1)) if e is not None]
            self._sink(ECHOED, call, f"`{name}` detail", exprs, state, response=False)
            return
        if q is not None and (q.startswith(RESPONSE_MODULES) and (name or "").endswith("Response")):
            content = astutil.argument(call, "content", 0)
            exprs = [e for e in (content, astutil.argument(call, "headers", 2), astutil.argument(call, "url", 0))
                     if e is not None]
            issuing = content is not None and token_response_shape(content)
            self._sink(ECHOED, call, f"a `{name}`", exprs, state, response=True, issuing=issuing)
            return
        if raised and name is not None and not name[:1].islower():
            # Whatever a `raise` constructs is an exception (`raise InvalidInvite(...)` too); a
            # project function that builds one (`raise credential_error(conn)`) is followed like
            # any helper: its summary says which parameters reach the exception's message.
            exprs = [a.value for a in call.args]
            fate = caught_by(state.catchers, name, self._fate)
            if fate is None or fate.echoed:
                # Not caught here: the callers' `except` clauses decide where it goes (link.py).
                self._sink(ECHOED, call, f"the message of `{name}`", exprs, state, response=False,
                           raised=name if fate is None else "")
            if fate is not None and fate.logged:
                self._sink(LOGGED, call, f"the message of `{name}`, which the `except` below writes to {fate.logged}",
                           exprs, state, response=False)
            return
        self._helper_call(call, q, state)

    def _fate(self, handler: cst.ExceptHandler) -> Fate:
        fate = self._fates.get(id(handler))
        if fate is None:
            fate = self._fates[id(handler)] = handler_fate(handler, self.calls_by_owner, self._log_shown)
        return fate

    def _log_shown(self, call: cst.Call) -> Optional[str]:
        sink = self._log_sink(call)
        return sink[0] if sink is not None else None

    def _log_sink(self, call: cst.Call) -> Optional[Tuple[str, List[cst.BaseExpression]]]:
        func = call.func
        q = self.ctx.qualify(func)
        logged = [a.value for a in call.args
                  if a.keyword is None or a.keyword.value not in NOT_LOGGED_KWARGS]
        if isinstance(func, cst.Name) and func.value == "print" and q is None \
                and "print" not in self.ctx.names.defined:
            out = astutil.argument(call, "file")
            if out is not None and self.ctx.qualify(out) not in _STD_STREAMS:
                return "`print` to a file", logged
            return "`print`", logged
        if q in PRINT_SINKS:
            return f"`{q}`", logged
        if isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS and self.is_logger(func.value):
            # What the logger was bound with is written too (`logger.bind(token=t).info(...)`, a
            # `log = logger.bind(token=t)` of this function).
            return f"`{dotted(func) or _chain_shown(func)}`", logged + [func.value]
        return None

    def _sink(self, rule: str, call: cst.Call, shown: str, exprs: List[cst.BaseExpression],
              state: FunctionState, response: bool, issuing: bool = False, raised: str = "") -> None:
        taint: Taint = EMPTY
        for e in exprs:
            taint |= self.values.taint(e, state)
        srcs = sources(taint)
        if response:
            srcs = token_in_error_or_response.response_sources(srcs, issuing)
        local = bool(srcs)
        if srcs:
            self._report_sink(rule, call, shown, srcs, state)
            if not raised:
                return
            if state.facts is not None:
                # Leaving uncaught: an exception handler of the application may log it (link.py).
                state.facts.flows.append(Flow("raise", srcs[0][2], rule, shown, span_tuple(self.ctx.span(call)),
                                              False, self._lower(shown, state), raised, True))
        if state.facts is not None:
            # (An exception raised with a parameter in its message: the callers' `except` clauses
            # may log it, even when it is reported here already.)
            for lab in sorted((lab for lab in taint if lab[0] in ("param", "ret", "obj")), key=str):
                self._flow(state, lab, rule, shown, call, response, raised, local)

    def _flow(self, state: FunctionState, lab: Label, rule: str, shown: str, node: cst.CSTNode, response: bool,
              raised: str = "", local: bool = False) -> None:
        needs_span = lab[0] in ("ret", "obj") or may_be_credential(state.facts.deps.get(str(lab[1])))
        span = span_tuple(self.ctx.span(node)) if needs_span else None
        state.facts.flows.append(Flow(lab[0], str(lab[1]), rule, shown, span, response, self._lower(shown, state),
                                      raised, local))

    def _report_sink(self, rule: str, node: cst.CSTNode, shown: str, srcs: List[Label], state: FunctionState) -> None:
        key = (id(node), rule)
        if key in state.reported:
            return
        state.reported.add(key)
        desc = srcs[0][2]
        more = f" (and {len(srcs) - 1} more)" if len(srcs) > 1 else ""
        msg = RULES[rule].message(f"{desc}{more}", shown)
        severity = TEST_CODE_SEVERITY if self._lower(shown, state) else None
        kinds = {s[1] for s in srcs}
        if rule == token_logged.RULE and kinds <= _NOT_WORKING.keys():
            # no working credential: a JWT's preview (jwt_parts.py), a token just rejected (rejected.py)
            msg, severity = msg + "".join(_NOT_WORKING[k] for k in sorted(kinds)), Severity.INFO
        if self.ctx.names.program and token_logged.script_output(rule, shown):
            self.held.append(hold(self.ctx.finding(rule, node, msg, severity=severity)))
            return
        self.report(rule, node, msg, severity=severity)

    def _lower(self, shown: str, state: FunctionState) -> bool:
        """The lower severity: test code, and a development script's own output (a script that
        creates an API key prints it to the operator who ran it)."""
        return state.in_test or token_logged.dev_console(shown, self.ctx.rel)

    # -- assignments and returns ------------------------------------------------------------------
    def header_assignment(self, target: cst.BaseExpression, value_node: cst.BaseExpression, value: Taint,
                          state: FunctionState) -> None:
        """`response.headers["X-Token"] = token`."""
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) \
                and target.value.attr.value == "headers" \
                and "resp" in (astutil.name_of(target.value.value) or "").lower():
            srcs = [s for s in sources(value) if s[1] in RESPONSE_KINDS]
            if srcs:
                self._report_sink(ECHOED, target, "a response header", srcs, state)

    def returned(self, value: cst.BaseExpression, state: FunctionState) -> None:
        taint = self._returned_taint(value, state)
        if state.facts is not None:
            for lab in taint:
                if lab[0] == "src" and lab[1] not in state.facts.returns:
                    state.facts.returns.append(lab[1])
                elif lab[0] == "ret" and lab[1] not in state.facts.returns_calls:
                    state.facts.returns_calls.append(str(lab[1]))
                elif lab[0] == "param" and lab[1] not in state.facts.returns_params:
                    state.facts.returns_params.append(int(lab[1]))
        if not state.is_route:
            return
        srcs = sources(taint)
        issuing = any(s[1] == "issued" for s in srcs) or token_response_shape(value)
        srcs = token_in_error_or_response.response_sources(srcs, issuing)
        others = sorted(str(lab[1]) for lab in taint if lab[0] == "other" and not lab[2])
        if others and not srcs:
            # A token minted for the account the request names, handed to another caller.
            srcs = [("src", "issued", token_in_error_or_response.minted_for_desc(others[0]))]
        if not srcs and state.facts is not None:
            for lab in sorted((lab for lab in taint if lab[0] == "other" and lab[2]), key=str):
                # perhaps minted for that account: the linking step knows what the callee returns
                shown = "the route's response"
                state.facts.flows.append(Flow("ret", str(lab[2]), ECHOED, shown, span_tuple(self.ctx.span(value)),
                                              True, self._lower(shown, state), minted_for=str(lab[1])))
        if srcs:
            self._report_sink(ECHOED, value, "the route's response", srcs, state)
        elif state.facts is not None and not issuing:
            for lab in sorted((lab for lab in taint if lab[0] in ("param", "obj")), key=str):
                if lab[0] == "obj" or may_be_credential(state.facts.deps.get(str(lab[1]))):
                    self._flow(state, lab, ECHOED, "the route's response", value, True)

    def _returned_taint(self, value: cst.BaseExpression, state: FunctionState) -> Taint:
        """What a return statement hands out: also the arguments of a model or response being
        constructed (`return Token(access_token=token)`)."""
        if isinstance(value, cst.Call):
            name = astutil.name_of(value.func) or ""
            if "Template" in name or name.startswith("render"):
                return EMPTY  # a page rendered from its context shows what the template shows
            if name[:1].isupper():
                out: Taint = EMPTY
                for a in value.args:
                    if a.keyword is not None and (a.keyword.value in SAFE_NAMES
                                                  or "type" in split_words(a.keyword.value)):
                        continue
                    if a.star == "**":
                        continue  # `PublicSettings(**settings.dict())`: the model keeps the fields it declares
                    out |= self.values.taint(a.value, state)
                return out | self.values.taint(value, state)
        return self.values.taint(value, state)

    # -- calls to project functions: recorded for the linking step --------------------------------
    def _helper_call(self, call: cst.Call, q: Optional[str], state: FunctionState) -> None:
        q = q or service_method(call.func, state)
        if q is None or q.split(".")[0] in FOREIGN_ROOTS:
            return
        # After a `*args` at the call, positions are known only from below: `audit(msg, *parts, t)`
        # binds `t` (and what `parts` holds) at position 1 or later, which is the callee's `*args`
        # when that comes at or before it ("1*"); `**kwargs` may bind any keyword parameter.
        unpacked = -1  # the position of the first `*args` of the call
        handlers = self._handlers(state)
        for i, a in enumerate(call.args):
            if a.star == "**":
                continue
            if a.star == "*" and unpacked < 0:
                unpacked = i
            if a.keyword is not None:
                key = a.keyword.value
            elif unpacked >= 0:
                key = f"{unpacked}*"
            else:
                key = str(i)
            t = self.values.taint(a.value, state)
            srcs = sources(t)
            if srcs:
                span = span_tuple(self.ctx.span(a.value))
                self._pending_call(state, CallFlow(q, key, span, desc=srcs[0][2], test=state.in_test,
                                                   handlers=handlers))
            elif state.facts is not None:
                for lab in sorted(t, key=str):
                    if lab[0] == "param":
                        # Where a parameter a dependency may feed with a credential is passed.
                        span = span_tuple(self.ctx.span(a.value)) \
                            if may_be_credential(state.facts.deps.get(str(lab[1]))) else None
                        self._pending_call(state, CallFlow(q, key, span, param=int(lab[1]), test=state.in_test,
                                                           handlers=handlers))
                    elif lab[0] == "ret":
                        # `audit("created", api_keys.generate())`: a token if the callee issues one.
                        self._pending_call(state, CallFlow(q, key, span_tuple(self.ctx.span(a.value)),
                                                           ret=str(lab[1]), test=state.in_test, handlers=handlers))

    def _handlers(self, state: FunctionState) -> Tuple[Handler, ...]:
        """The `except` clauses around a call, innermost first (what they do with an exception
        the callee raises decides where its message goes)."""
        out = []
        for handlers in reversed(state.catchers):
            for h in handlers:
                fate = self._fate(h)
                out.append((tuple(sorted(fate.catches)), fate.logged, fate.echoed))
        return tuple(out)

    def _pending_call(self, state: FunctionState, flow: CallFlow) -> None:
        if state.facts is not None:
            state.facts.calls.append(flow)


def _chain_shown(func: cst.Attribute) -> str:
    """`logger.bind(key=…).info` for a method of a call's result."""
    root: cst.BaseExpression = func.value
    while isinstance(root, (cst.Call, cst.Attribute)):
        root = root.func if isinstance(root, cst.Call) else root.value
    name = dotted(root) if isinstance(root, cst.Name) else None
    inner = func.value.func if isinstance(func.value, cst.Call) else None
    middle = f".{inner.attr.value}(…)" if isinstance(inner, cst.Attribute) else "(…)"
    return f"{name}{middle}.{func.attr.value}" if name else func.attr.value
