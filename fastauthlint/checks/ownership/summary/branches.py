"""Conditions that change what the code after them means: admin-only branches (`if
current_user.is_superuser:`, `if not user.is_admin: raise ...`), ownership checks and predicates
in an `if` (recognised by owner_checks, placed here with their refusal), and tests of a parameter's
truthiness (`if owner_id:` ... `else:`), which link time uses to drop infeasible branches."""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import UNKNOWN, Origin
from fastauthlint.checks.ownership.summary.known import ADMIN_LITERAL, ADMIN_NAME
from fastauthlint.checks.ownership.summary.state import WalkState
from fastauthlint.checks.ownership.summary.syntax import block_statements, terminates


class Branches(WalkState):
    def if_stmt(self, node: cst.If, following: Sequence) -> None:
        test = node.test
        tested = self.eval(test)
        self._test_node = test
        self._test_span_cache = None
        body_term = terminates(node.body)
        orelse = node.orelse
        if body_term and orelse is None:
            self._conflict_probe(test, tested)
        admin = self.admin_polarity(test)
        if admin is not None:
            pol, cond = admin
            cid = len(self.admin_conds)
            self.admin_conds.append(cond)
            saved = self.admin
            if pol:
                self.admin = saved + (cid,)
                self.block(block_statements(node.body))
                self.admin = saved
                self._orelse(orelse, following)
            else:
                self.block(block_statements(node.body))
                self.admin = saved + (cid,)
                self._orelse(orelse, following)
                self.admin = saved
                if body_term:
                    self.admin = saved + (cid,)  # the rest of this block runs for admins only
            return
        comps = self.owner_comparisons(test)
        admins_only = self._admins_only(test)
        if admins_only:
            # `if user.is_staff and note.owner_id != user.id: raise`: only staff are refused,
            # everyone else goes on whoever owns the row
            comps = [c for c in comps if not c[3]]
        # `if note.owner_id != user.id: if not user.is_staff: raise ...`: refused unless staff
        staff_denial = None if body_term else self._refused_unless_role(node, comps + self.identity_comparisons(test))
        if staff_denial is not None:
            body_term = True
        guard_ids: List[int] = []
        for subj, col, val, mismatch in comps:
            if mismatch and body_term:
                self.add_check("deny", subj, col, val, staff_denial or self.denial_in(node.body), test)
            elif mismatch and self.loop_subjects:
                pass
            elif not mismatch:
                denial = None
                if orelse is not None and isinstance(orelse, cst.Else) and terminates(orelse.body):
                    denial = self.denial_in(orelse.body)
                elif following:
                    denial = self.denial_stmt(following[0])
                guard_ids.append(self.add_check("guard", subj, col, val, denial, test))
        # `for x in rows: if x.owner_id != me: continue` keeps only the user's rows
        if comps and self.loop_subjects and body_term:
            for subj, col, val, mismatch in comps:
                if mismatch:
                    self.add_check("filter", self.loop_subjects[-1], col, val, None, test)
        # `if question_id not in {q.id for q in collection.questions}: raise ...`
        if body_term:
            for subj, val in self.memberships(test):
                self.add_check("member", subj, "", val, None, test)
        # `if user_id != current_user.id: raise ...` / `if user == current_user:` (decided at link)
        for subj, col, val, mismatch in self.identity_comparisons(test):
            if mismatch and body_term and not admins_only:
                self.add_check("identity", subj, col, val, None, test)
            elif not mismatch:
                guard_ids.append(self.add_check("identity_guard", subj, col, val, None, test))
        # `if user_id != me and PERM not in perms: res["card"] = "Permission Denied"`: the code
        # tells the caller's own rows from a colleague's and shapes the answer for the latter
        masks_other = not body_term and _assigns(node.body)
        masks_else = isinstance(orelse, cst.Else) and not terminates(orelse.body) and _assigns(orelse.body)
        if masks_other or masks_else:
            for subj, col, val, mismatch in comps + self.identity_comparisons(test):
                if (mismatch and masks_other) or (not mismatch and masks_else):
                    self.add_check("shapes_other", subj, col, val, None, test)
        if not comps:
            for call_idx, negated in self.predicate_calls(test):
                if negated and body_term:
                    self.add_pred("pred_deny", call_idx, self.denial_in(node.body), test)
                elif not negated:
                    denial = None
                    if orelse is not None and isinstance(orelse, cst.Else) and terminates(orelse.body):
                        denial = self.denial_in(orelse.body)
                    elif following:
                        denial = self.denial_stmt(following[0])
                    guard_ids.append(self.add_pred("pred_guard", call_idx, denial, test))
        if not comps:
            self._existence(test, node, body_term, orelse, following)
        saved_guards, saved_conds = self.guards, self.conds
        truth = self._param_truth(test)
        self.guards = saved_guards + tuple(guard_ids)
        if truth is not None:
            self.conds = saved_conds + (truth,)
        before = self.env.get(truth[0]) if truth is not None else None
        self.block(block_statements(node.body))
        if truth is not None and not truth[1] and self.env.get(truth[0]) != before:
            # `if filters is None: filters = {}`: a default, the caller's value still flows on
            self.env[truth[0]] = self.new_dict([("*", before or Origin("param", truth[0])),
                                                 ("*", self.env.get(truth[0], UNKNOWN))])
        self.guards = saved_guards
        if truth is not None:
            self.conds = saved_conds + ((truth[0], not truth[1]),)
        self._orelse(orelse, following)
        self.conds = saved_conds
        if truth is not None and body_term and orelse is None:
            # `if owner_id: return <filtered>` then the rest runs only when it is empty
            self.conds = saved_conds + ((truth[0], not truth[1]),)

    def _admins_only(self, test) -> bool:
        """`a and b` with a part that holds only for admins: the body runs for admins only."""
        if not (isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And)):
            return False
        parts = [test.left, test.right]
        while parts:
            e = parts.pop()
            if isinstance(e, cst.BooleanOperation) and isinstance(e.operator, cst.And):
                parts += [e.left, e.right]
            elif not isinstance(e, cst.Comparison) or len(e.comparisons) != 1 or isinstance(
                    e.comparisons[0].operator, (cst.Equal, cst.In, cst.Is, cst.NotEqual, cst.NotIn, cst.IsNot)):
                pol = self.admin_polarity(e)
                if pol is not None and pol[0]:
                    return True
        return False

    def _refused_unless_role(self, node: cst.If, comps):
        """The refusal of `if <mismatch>: if <caller lacks a role>: raise ...` (a staff exception
        nested under an owner or identity mismatch), None for any other body. The role test must be
        on a value the comparison compared (the caller: its root is judged at link time), so a
        row's own flag or a client's field never stands in for it."""
        stmts = list(block_statements(node.body))
        if len(stmts) != 1 or not isinstance(stmts[0], cst.If) or stmts[0].orelse is not None:
            return None
        inner = stmts[0]
        if not terminates(inner.body):
            return None
        roots = {(o.kind, o.name) for subj, _, val, mismatch in comps if mismatch for o in (subj, val)
                 if o.kind in ("param", "request_user")}
        if roots and self._lacks_role(inner.test, roots):
            return self.denial_in(inner.body)
        return None

    def _lacks_role(self, test, roots) -> bool:
        """Every part of an `or` says the caller lacks a role: `not user.is_staff`, `user.role not
        in ("admin", "moderator")`, `not user.has_role("support")`, `not hasattr(user, "role")`."""
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
            return self._lacks_role(test.left, roots) and self._lacks_role(test.right, roots)
        negated = False
        e = test
        if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
            negated, e = True, e.expression
        if isinstance(e, cst.Call) and astutil.name_of(e.func) == "hasattr" and e.args:
            return negated and (self.peek(e.args[0].value).kind, self.peek(e.args[0].value).name) in roots
        pol = self.admin_polarity(test)
        if pol is not None:
            return not pol[0] and (pol[1].kind, pol[1].name) in roots
        if isinstance(e, cst.Comparison) and len(e.comparisons) == 1 and not negated:
            comp = e.comparisons[0]
            right = comp.comparator
            literals = [el.value for el in right.elements] if isinstance(right, (cst.Tuple, cst.List, cst.Set)) \
                else [right]
            if isinstance(comp.operator, (cst.NotIn, cst.NotEqual)) and isinstance(e.left, cst.Attribute) and all(
                    astutil.literal_str(x) is not None or isinstance(x, cst.Attribute) for x in literals):
                who = self._owner_of(e.left)
                return (who.kind, who.name) in roots
        if negated and isinstance(e, (cst.Attribute, cst.Call)):  # `not user.has_role("support")`
            who = self._owner_of(e.func if isinstance(e, cst.Call) else e)
            return (who.kind, who.name) in roots and isinstance(e, cst.Call) and bool(e.args)
        return False

    def _existence(self, test, node: cst.If, body_term: bool, orelse, following) -> None:
        """`if not rows: raise ...`, `if row is None: raise ...`, `if rows: return ...` then a
        refusal: the request is refused unless the query finds something (linked: a query scoped
        to the caller refuses every identifier that is not theirs)."""
        negated = None
        e = test
        if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
            e, negated = e.expression, True
        elif isinstance(e, cst.Comparison) and len(e.comparisons) == 1 and isinstance(
                e.comparisons[0].operator, (cst.Is, cst.IsNot)) and isinstance(e.comparisons[0].comparator, cst.Name) \
                and e.comparisons[0].comparator.value == "None":
            e, negated = e.left, isinstance(e.comparisons[0].operator, cst.Is)
        elif isinstance(e, (cst.Name, cst.Await, cst.Call)):
            negated = False
        if isinstance(e, cst.Await):
            e = e.expression
        if negated is None or not isinstance(e, (cst.Name, cst.Call)):
            return
        if isinstance(e, cst.Name):
            subj = self.peek(e)
        elif id(e) in self._call_of_node:
            subj = Origin("call", str(self._call_of_node[id(e)]))
        else:
            return
        if subj.kind not in ("site", "call") or subj.attrs:
            return
        if not negated and body_term and subj.kind == "call":
            # `if err: return err`: a helper's answer that, when present, is the refusal
            self.add_check("refused", subj, "", UNKNOWN, self.denial_in(node.body), test)
        if negated and body_term:
            denial = self.denial_in(node.body)
        elif not negated and body_term and orelse is None and following:
            denial = self.denial_stmt(following[0])  # `if rows: return ok` then `raise ...`
        else:
            return
        if denial is not None:
            self.add_check("exists", subj, "", UNKNOWN, denial, test)

    def _conflict_probe(self, test, tested: Origin) -> None:
        """`if existing: raise HTTPException(409)` / `if db.query(User).filter(User.email ==
        body.email).first(): raise ...`: the request is refused when a row exists, a uniqueness
        check before a create. A query whose row is only tested that way returns nothing to the
        caller (settled in `settle_probes` once every use of the name is known)."""
        e = test.expression if isinstance(test, cst.Await) else test
        if isinstance(e, cst.Comparison) and len(e.comparisons) == 1 and isinstance(
                e.comparisons[0].operator, (cst.IsNot, cst.NotEqual)) and isinstance(
                e.comparisons[0].comparator, cst.Name) and e.comparisons[0].comparator.value == "None":
            e = e.left
        if isinstance(e, cst.Name):
            o = self.peek(e)
            if o.kind in ("site", "call") and not o.attrs:
                self._probe_names.append((e.value, o))
        elif e is test and isinstance(e, cst.Call) and tested.kind in ("site", "call") and not tested.attrs:
            self._probe(tested)

    def _probe(self, o: Origin) -> None:
        if o.kind == "site":
            self.summary.sites[int(o.name)].probe = True
        else:
            self.summary.calls[int(o.name)].probe = True

    def settle_probes(self) -> None:
        """The rows named in a conflict test (`_conflict_probe`) that nothing else reads: the
        name occurs only where it is bound and where it is tested."""
        if not self._probe_names:
            return
        counts: dict = {}
        stack = [self.func.body]
        while stack:
            n = stack.pop()
            if isinstance(n, cst.Name):
                counts[n.value] = counts.get(n.value, 0) + 1
            stack.extend(astutil.children(n))
        tested: dict = {}
        for name, _ in self._probe_names:
            tested[name] = tested.get(name, 0) + 1
        for name, o in self._probe_names:
            if counts.get(name, 0) == tested[name] + 1:
                self._probe(o)

    def _param_truth(self, test) -> Optional[Tuple[str, bool]]:
        """`if owner_id:` -> ("owner_id", True); `if owner_id is None:` -> ("owner_id", False)."""
        negated = False
        while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            negated = not negated
            test = test.expression
        if isinstance(test, cst.Name) and test.value in self.params and test.value not in self.env:
            return test.value, not negated
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name) \
                and test.left.value in self.params and test.left.value not in self.env:
            comp = test.comparisons[0]
            if isinstance(comp.comparator, cst.Name) and comp.comparator.value == "None":
                if isinstance(comp.operator, (cst.Is, cst.Equal)):
                    return test.left.value, negated
                if isinstance(comp.operator, (cst.IsNot, cst.NotEqual)):
                    return test.left.value, not negated
        return None

    def _orelse(self, orelse, following) -> None:
        if orelse is None:
            return
        if isinstance(orelse, cst.If):
            self.order += 1
            self.if_stmt(orelse, following)
        else:
            self.block(block_statements(orelse.body))

    def admin_polarity(self, test) -> Optional[Tuple[bool, Origin]]:
        """(True, whose) when the test holds only for admins (`current_user.is_superuser`,
        `user.role == "admin"`, `crud.user.is_superuser(user)`), (False, whose) for its negation;
        None when the test is not purely about being an admin."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self.admin_polarity(test.expression)
            return (not inner[0], inner[1]) if inner else None
        if isinstance(test, cst.BooleanOperation):
            a, b = self.admin_polarity(test.left), self.admin_polarity(test.right)
            if a and b and a[0] == b[0]:
                return a
            return None
        if isinstance(test, cst.Await):
            return self.admin_polarity(test.expression)
        if isinstance(test, cst.Subscript) and len(test.slice) == 1 and isinstance(test.slice[0].slice, cst.Index):
            key = astutil.literal_str(test.slice[0].slice.value) or ""  # `user["is_admin"]` (a document)
            if ADMIN_NAME.search(key) and not key.lower().startswith(("can_", "allow")):
                return True, self._owner_of(test)
            return None
        if isinstance(test, cst.Name) and test.value in self.admin_locals:
            return True, self.admin_locals[test.value]
        if isinstance(test, (cst.Name, cst.Attribute)):
            name = astutil.name_of(test) or ""
            if ADMIN_NAME.search(name) and not name.lower().startswith(("can_", "allow")):
                return True, self._owner_of(test)
            return None
        if isinstance(test, cst.Call):
            name = astutil.name_of(test.func) or ""
            lits = [astutil.literal_str(a.value) for a in test.args]
            if ADMIN_NAME.search(name) or any(s and ADMIN_LITERAL.search(s) for s in lits) \
                    or any(self._admin_ref(a.value) for a in test.args):
                args = [a.value for a in test.args]
                who = self._owner_of(test.func.value) if isinstance(test.func, cst.Attribute) else UNKNOWN
                for a in args:
                    o = self.peek(a)
                    if o.kind in ("param", "request_user"):
                        who = o
                        break
                return True, who
            return None
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            comp = test.comparisons[0]
            op = comp.operator
            left, right = test.left, comp.comparator
            admin_side = None
            if self._admin_ref(right) or (astutil.literal_str(right) and ADMIN_LITERAL.search(astutil.literal_str(right))):
                admin_side, other = right, left
            elif self._admin_ref(left) or (astutil.literal_str(left) and ADMIN_LITERAL.search(astutil.literal_str(left))):
                admin_side, other = left, right
            elif isinstance(right, (cst.Tuple, cst.List, cst.Set)) and right.elements and all(
                    self._admin_ref(e.value) or (astutil.literal_str(e.value) and ADMIN_LITERAL.search(
                        astutil.literal_str(e.value))) for e in right.elements):
                admin_side, other = right, left
            elif isinstance(left, (cst.Name, cst.Attribute)) and isinstance(right, cst.Name) \
                    and right.value in ("True", "False") and ADMIN_NAME.search(astutil.name_of(left) or ""):
                pol = (right.value == "True") == isinstance(op, (cst.Equal, cst.Is))
                return pol, self._owner_of(left)
            if admin_side is None:
                return None
            positive = isinstance(op, (cst.Equal, cst.In, cst.Is))
            negative = isinstance(op, (cst.NotEqual, cst.NotIn, cst.IsNot))
            if not (positive or negative):
                return None
            return positive, self._owner_of(other)
        return None

    def _admin_ref(self, expr) -> bool:
        """`Role.ADMIN`, `UserRole.SUPERUSER`: an enum member naming an admin role."""
        return isinstance(expr, cst.Attribute) and bool(ADMIN_LITERAL.search(expr.attr.value))

    def _owner_of(self, expr) -> Origin:
        """Whose attribute an admin flag is: `current_user.is_superuser` -> current_user."""
        while isinstance(expr, (cst.Attribute, cst.Subscript, cst.Call)):
            if isinstance(expr, cst.Call):
                expr = expr.func
                continue
            expr = expr.value
        if isinstance(expr, cst.Name) and expr.value in self.jwt_params and expr.value not in self.env:
            return Origin("request_user", "")  # `"admin" in Authorize.get_raw_jwt()["roles"]`: the caller's claims
        return self.peek(expr) if isinstance(expr, cst.Name) else UNKNOWN


def _assigns(block) -> bool:
    """The block sets something (`res["x"] = "Permission Denied"`, `attestations = []`)."""
    for stmt in block_statements(block):
        if isinstance(stmt, cst.SimpleStatementLine) and any(
                isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)) for small in stmt.body):
            return True
        if isinstance(stmt, cst.If) and _assigns(stmt.body):  # `if PERM not in perms: res[...] = ...`
            return True
    return False
