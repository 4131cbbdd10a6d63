"""Shapes of values the purpose recorder (collect_purpose.py) asks about: a password the request
sent and where it goes (a sign-in or sign-up delegated to an identity provider or another
service), answers that only say whether something exists, redirects to the application's own
URLs, stubs and answers chosen by the request.
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.project import acts as A
from fastauthlint.project.acts import PurposeState
from fastauthlint.project.collect_values import Frame


def answer_tags(frame: Frame, pp: PurposeState, tags: set) -> None:
    """The tags of the function's answers, once the walk has seen all of them."""
    if pp.existence_returns and pp.existence_returns == pp.returns - pp.refusing_returns:
        tags.add("answers-existence")  # `{"available": user is None}`: a yes or no, never the row
    if pp.returns and pp.redirect_returns == pp.returns:
        tags.add("redirects-only")  # a browser return page: every answer sends it on to a URL of ours
    if "static" in tags and "busy" not in tags:
        if frame.param_facts and _reads_params(frame):
            # an answer of constants chosen by what the request sent (`if code == 1: return "a"`)
            tags.add("reads-params")
        if pp.returns == 0 and _stub(frame.node):
            tags.add("stub")  # `pass`, `...` or a docstring only: not written yet


def note_answer(rec, frame: Frame, pp: PurposeState, value: Optional[cst.BaseExpression]) -> None:
    """One `return`: does it only say whether something exists, does it redirect to our own URL."""
    if value is not None and not A.status_4xx(value) and _existence(rec, pp, value, 0) == "yes":
        pp.existence_returns += 1
    if isinstance(value, cst.Call) and A.last_name(value.func) in ("RedirectResponse", "redirect"):
        url = astutil.argument(value, "url", 0)
        if url is not None and not _request_chosen(url, frame, pp):
            pp.redirect_returns += 1


def note_holdings(frame: Frame, pp: PurposeState, targets, value: cst.BaseExpression, passwords: bool) -> None:
    """What the names an assignment binds now hold: a password from the request, an existence test."""
    holds_pw = passwords and _pw_from_request(value, frame, pp)
    exists = _existence_atom(value)
    for t in targets:
        if isinstance(t, cst.Name):
            (pp.exist_locals.add if exists else pp.exist_locals.discard)(t.value)
            (pp.pw_locals.add if holds_pw else pp.pw_locals.discard)(t.value)


def delegated(frame: Frame, pp: PurposeState, func, name: str, q: Optional[str], node: cst.Call) -> str:
    """"login" or "signup" when the call hands the request's password to an identity provider's
    client (`idp.user_login(username, password)`) or sends it to another service's login, token
    or registration URL (`client.post(f"{AUTH}/auth/login", data={...})`); "" otherwise. Only
    attribute calls and HTTP libraries: a plain call into the project is followed instead."""
    top = q.split(".")[0] if q else ""
    if type(func) is not cst.Attribute and top not in A.HTTP_MODULES:
        return ""
    if type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value in ("self", "cls"):
        return ""  # a method of the class itself: project code, followed for what it does
    carried = [a.value for a in node.args if _pw_from_request(a.value, frame, pp)]
    if not carried:
        return ""
    if name in A.HTTP_SEND_CALL or top in A.HTTP_MODULES:
        texts: List[str] = []
        for a in node.args:
            for n in astutil.bounded_walk(a.value, _url_parts, 24):
                if type(n) in (cst.SimpleString, cst.FormattedStringText):
                    s = astutil.literal_str(n) if type(n) is cst.SimpleString else n.value
                    if s and len(s) < 300:
                        texts.append(s)
                elif type(n) in (cst.Name, cst.Attribute) and A.DELEGATE_URL_NAME.search(A.last_name(n)):
                    texts.append("/" + A.last_name(n).lower().rsplit("_", 1)[0].replace("_", ""))
        if any(A.DELEGATE_LOGIN_URL.search(t) for t in texts) or any(t == "password" for t in texts) and any(
                t == "grant_type" for t in texts):
            return "login"
        if any(A.DELEGATE_SIGNUP_URL.search(t) for t in texts):
            return "signup"
        return ""
    if A.DELEGATE_LOGIN_CALL.match(name):
        return "login"
    if A.DELEGATE_SIGNUP_CALL.match(name):
        return "signup"
    return ""


def _url_parts(node: cst.CSTNode):
    """The parts of an argument a URL or a password is read from: dict keys and values, f-string
    parts, call arguments, operands (`f"{AUTH}/login"`, `{"grant_type": "password", ...}`)."""
    if type(node) is cst.Dict:
        for el in node.elements:
            if type(el) is cst.DictElement:
                yield el.key
                yield el.value
    elif type(node) is cst.FormattedString:
        yield from node.parts
    elif type(node) is cst.FormattedStringExpression:
        yield node.expression
    else:
        yield from A.value_parts(node)


def _pw_from_request(node: cst.BaseExpression, frame: Frame, pp: PurposeState) -> bool:
    """The value carries a password the request sent: it names one (`form.password`, a
    `"password"` key) or a local holding one, read out of a parameter that is not injected
    configuration (`settings.SERVICE_PASSWORD` is the deployment's own)."""
    pw = False
    heads = False
    request_names = frame.derived - pp.config_params - {"self", "cls"}
    for n in astutil.bounded_walk(node, _url_parts, 32):
        if type(n) is cst.Name:
            if n.value in pp.pw_locals:
                return True
            if A.PASSWORD.search(n.value.lower()):
                pw = True
            if n.value in request_names:
                heads = True
        elif type(n) is cst.Attribute and A.PASSWORD.search(n.attr.value.lower()):
            pw = True
        elif type(n) is cst.SimpleString and A.PASSWORD.search((astutil.literal_str(n) or "").lower()):
            pw = True
    return pw and heads


def _request_chosen(url: cst.BaseExpression, frame: Frame, pp: PurposeState) -> bool:
    """Where a redirect goes is the request's to say: the URL starts with a value read out of a
    parameter (`RedirectResponse(next_url)`, `f"{request.query_params['next']}..."`), not with a
    literal or the configuration (`f"{settings.FRONTEND_URL}/checkout/success?{params}"`)."""
    head = url
    if type(head) is cst.FormattedString:
        first = head.parts[0] if head.parts else None
        if first is None or type(first) is cst.FormattedStringText:
            return False
        head = first.expression
    if type(head) is cst.BinaryOperation:
        head = head.left
    if type(head) in (cst.SimpleString, cst.ConcatenatedString):
        return False
    while type(head) in (cst.Attribute, cst.Subscript, cst.Call):
        head = head.value if type(head) is not cst.Call else head.func
    return type(head) is not cst.Name or head.value in (frame.derived - pp.config_params) or \
        head.value in frame.locals


def _existence_atom(node: cst.BaseExpression) -> bool:
    """`row is None`, `not user`, `bool(found)`, `await svc.email_exists(email)` (cheap: asked of
    every assignment)."""
    if type(node) is cst.Await:
        node = node.expression
    t = type(node)
    if t is cst.Comparison:
        return all(isinstance(c.operator, (cst.Is, cst.IsNot)) and type(c.comparator) is cst.Name
                   and c.comparator.value == "None" for c in node.comparisons)
    if t is cst.UnaryOperation:
        return isinstance(node.operator, cst.Not)
    if t is cst.Call:
        name = A.last_name(node.func)
        return name == "bool" or bool(A.EXISTENCE_CALL.match(A.bare(name)))
    return False


def _existence(rec, pp: PurposeState, node: cst.BaseExpression, depth: int) -> str:
    """"yes" when the value says whether something exists and nothing more (`row is None`, `not
    user`, `bool(found)`, `await svc.email_exists(email)`, a dict or a model built of those and
    constants); "const" for constants only; "" otherwise."""
    if depth > 4:
        return ""
    t = type(node)
    if _existence_atom(node) or (t is cst.Name and node.value in pp.exist_locals):
        return "yes"
    parts = None
    if t is cst.Dict:
        parts = [el.value for el in node.elements if type(el) is cst.DictElement] if all(
            type(el) is cst.DictElement and rec._static(pp, el.key) for el in node.elements) else None
    elif t is cst.Call and isinstance(node.func, (cst.Name, cst.Attribute)) and (
            A.camel(node.func) or A.last_name(node.func) in A.STATIC_RESPONSES):
        parts = [a.value for a in node.args]
    if parts is not None:
        kinds = [_existence(rec, pp, x, depth + 1) for x in parts]
        if kinds and all(k for k in kinds):
            return "yes" if "yes" in kinds else "const"
        return ""
    return "const" if rec._static(pp, node) else ""


def _stub(node) -> bool:
    """A body of `pass`, `...` and strings only."""
    body = getattr(node, "body", None)
    if not isinstance(body, cst.IndentedBlock):
        return False
    for stmt in body.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString,
                                                                        cst.ConcatenatedString)):
                continue
            return False
    return True


def _reads_params(frame: Frame) -> bool:
    """The function's body mentions one of its parameters (only asked of small functions: those
    that call nothing and answer constants)."""
    names = {p.name for p in frame.param_facts} - {"self", "cls"}
    body = getattr(frame.node, "body", None)
    return bool(names) and body is not None and any(
        type(n) is cst.Name and n.value in names for n in astutil.walk(body))
