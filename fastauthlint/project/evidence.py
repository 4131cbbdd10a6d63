"""What a function's own code shows about authentication, across the project: whether it verifies
a token (itself or through the project functions it calls), whether it rejects with 401/403 (also
through exceptions bound elsewhere and project exception classes), and the evidence in its body
that it authenticates the request in the role it runs in (dependency, handler, callee, middleware).
The per-file evidence comes from collect_evidence.py; authentication.py weighs it.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.evaluate import Evaluator, Obj
from fastauthlint.project.facts import FuncFact, ParamFact
from fastauthlint.project.known import strongest
from fastauthlint.project.values import v_rejection


class Evidence:
    """The evidence in functions' code, memoised per run."""

    def __init__(self, evaluator: Evaluator):
        self.E = evaluator
        self._decode_memo: Dict[Tuple[str, str], bool] = {}
        self._handled: Optional[Dict[Tuple[str, str], int]] = None

    def decodes(self, path: str, qual: str, depth: int = 0) -> bool:
        """The function verifies a token, itself or through project functions it calls."""
        key = (path, qual)
        if key in self._decode_memo:
            return self._decode_memo[key]
        self._decode_memo[key] = False
        f = self.E.func(path, qual)
        res = False
        if f is not None:
            res = f.decodes
            if not res and depth < 6:
                for c in f.calls:
                    for o in self.E.ev(c, path):
                        target = o
                        if o.kind == "method" and o.path:
                            target = Obj("func", o.path, o.name)
                        if target.kind == "func" and self.decodes(target.path, target.name, depth + 1):
                            res = True
                            break
                        if o.kind == "class":
                            init = f"{o.name}.__init__"
                            if self.E.func(o.path, init) and self.decodes(o.path, init, depth + 1):
                                res = True
                                break
                    if res:
                        break
        self._decode_memo[key] = res
        return res

    def raises_reject(self, f: FuncFact, path: str) -> int:
        """401 when the function rejects as unauthenticated, 403 when it only forbids, else 0:
        from what it raises or returns, including exceptions bound to names elsewhere
        (`raise credentials_exception`) and project exception classes built with a status."""
        found = f.raises_auth
        if found == 401:
            return found
        for r in f.raised:
            for o in self.E.ev(r, path):
                if o.kind in ("class", "inst"):
                    found = strongest(found, self.class_status(o.path, o.name))
                if o.kind in ("inst", "extinst") and o.v is not None:
                    found = strongest(found, v_rejection(o.v))
                if found == 401:
                    return found
        return found

    def gated_auth(self, f: FuncFact, path: str, params: Sequence[ParamFact]) -> Optional[str]:
        """The verification a function runs only in some environments (FuncFact.env_gated), as
        text; None when it has none."""
        for pname, meth in f.env_gated:
            if not pname:
                return "verifies a token"
            p = next((p for p in params if p.name == pname), None)
            if p is not None and p.ann is not None and any(
                    o.kind == "ext" and meth in K.BODY_CALL_AUTH.get(o.name, ()) for o in self.E.ev(p.ann, path)):
                return f"calls {pname}.{meth}()"
        return None

    def class_status(self, path: str, qual: str, depth: int = 0) -> int:
        """401/403 an exception class stands for: a status in its body (`status_code = 401`), or
        the answer of an exception handler registered for it or for a project base class
        (`@app.exception_handler(AuthError)` returning a 401 response)."""
        c = self.E.cls(path, qual)
        if c is None or depth > 8:
            return 0
        found = strongest(c.mentions_reject, self.handled().get((path, qual), 0))
        if found != 401:
            for b in c.bases:
                for bo in self.E.ev(b, path):
                    if bo.kind == "class":
                        found = strongest(found, self.class_status(bo.path, bo.name, depth + 1))
        return found

    def handled(self) -> Dict[Tuple[str, str], int]:
        """(file, class) -> the 401/403 the app's exception handlers answer for that class."""
        if self._handled is None:
            self._handled = {}
            for path, facts in self.E.files.items():
                for h in facts.exception_handlers:
                    status = 0
                    for o in self.E.ev(h.handler, path):
                        g = self.E.func(o.path, o.name) if o.kind == "func" else None
                        if g is not None:
                            status = strongest(status, g.raises_auth)
                    if not status:
                        continue
                    for o in self.E.ev(h.exc, path):
                        if o.kind == "class":
                            key = (o.path, o.name)
                            self._handled[key] = strongest(self._handled.get(key, 0), status)
        return self._handled

    def body_auth(self, f: FuncFact, path: str, params: Sequence[ParamFact], role: str = "dependency") -> Optional[str]:
        """Evidence in the function itself: it reads a credential (an Authorization/API-key
        header or cookie, `request.user`) and verifies, looks up or rejects it; or it hands the
        request to something and rejects with 401/403.

        `role` says how the function runs: a "dependency" gets its parameters from the request
        (so `authorization: str = Header()` or a `token` query parameter is a credential read), a
        "handler" must verify or reject what it reads, a plain "callee" only counts what it
        reads from a request object (its parameters are whatever its caller passes), and a
        "middleware" must turn requests away."""
        reads = [r for r in f.reads if r != "user"]
        if role == "middleware":
            # Only a middleware that turns requests away is a gate: one that identifies the
            # caller when a token is present and lets the others through protects nothing.
            reject = self.raises_reject(f, path)
            if not reject:
                return None
            if reads:
                return f"reads `{reads[0].split(':', 1)[-1]}` and rejects requests without a valid one"
            if "user" in f.reads:
                return "requires request.user and rejects with 401/403"
            if f.request_to_call:
                return "hands the request to an authenticator and rejects with 401/403"
            return "answers 401" if reject == 401 else None
        creds = reads if role == "callee" else [p.credential for p in params if p.credential] + reads
        # a verifier-named method on an object we cannot see counts only with a credential read here
        decodes = f.decodes or self.decodes(path, f.name) or (bool(creds) and f.verifier_call)
        reject = self.raises_reject(f, path)
        if creds:
            cred = creds[0].split(":", 1)[-1]
            if decodes:
                return f"reads `{cred}` and verifies it"
            # a handler raises for many reasons (404...): a raise counts for a header/cookie it
            # reads on purpose, a query parameter named like a token needs a 401/403
            from_query = creds[0].startswith("query:")
            if reject or (f.raises and (role == "dependency" or not from_query)):
                return f"reads `{cred}` and rejects requests without a valid one"
            if role == "dependency" and f.passes_names and (f.verifier_call or f.calls):
                return f"reads `{cred}` and looks it up"
        if "user" in f.reads and reject:
            return "requires request.user (authentication middleware)"
        if f.request_to_call and reject:
            return "hands the request to an authenticator and rejects with 401/403"
        if f.takes_request and decodes and reject:
            return "verifies the request's credentials or signature and rejects with 401/403"
        if role == "dependency" and reject == 401:
            # a dependency answering 401 is an authentication gate, whatever it reads
            # (a session, request.state set by a middleware, a subject passed in)
            return "rejects unauthenticated requests with 401"
        for pname, meth in f.param_calls:
            p = next((p for p in params if p.name == pname), None)
            if p is None or p.ann is None:
                continue
            for o in self.E.ev(p.ann, path):
                if o.kind == "ext" and meth in K.BODY_CALL_AUTH.get(o.name, ()):
                    return f"calls {pname}.{meth}()"
        return None
