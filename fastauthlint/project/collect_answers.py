"""Per-file collection, part five: reading the values a function handles, for collect_purpose.py:
whether its answer is built of constants only (a probe's, a root page's), which token-like value
from the caller an expression carries, whether an expression builds a new instance of a class,
whether a path names a file shipped with the code, which models a generic query is handed.
"""

from __future__ import annotations

from typing import List, Optional, Set

import libcst as cst

from fastauthlint import astutil
from fastauthlint.project import acts as A
from fastauthlint.project.acts import PurposeState
from fastauthlint.project.collect_values import Frame, ValueReader
from fastauthlint.project.values import V


class AnswerReader(ValueReader):
    """The value questions of the purpose recorder (a mixin of the collector)."""

    _pp_bundled: Set[str]  # module-level names bound to a path next to the code (collect_purpose.py)
    _pp_build_dirs: Set[str]  # module-level names bound to a front end's build or static directory

    def _tainted(self, pp: PurposeState, args: List[cst.BaseExpression]) -> Optional[str]:
        """The token-like name one of the arguments carries: a tainted local or parameter, a
        field of a parameter or local (`body.reset_token`), a key read from the request or from a
        local dict (`request.cookies.get("refresh_token")`, `data["token"]`). A module's setting
        (`settings.API_TOKEN`) is not the caller's."""
        for a in args:
            for cur in astutil.bounded_walk(a, A.value_parts, A.WALK):
                if type(cur) is cst.Name:
                    t = pp.taint.get(cur.value)
                    if t is not None:
                        return t
                elif type(cur) is cst.Attribute:
                    if A.token_name(cur.attr.value) and self._caller_value(cur.value):
                        return cur.attr.value.lower()
                elif type(cur) is cst.Subscript:
                    key = A.subscript_key(cur)
                    if key is not None and A.token_name(key) and self._caller_value(cur.value):
                        return key.lower()
                elif type(cur) is cst.Call:
                    f = cur.func
                    if type(f) is cst.Attribute and f.attr.value in ("get", "getlist", "pop") and cur.args:
                        key = astutil.literal_str(cur.args[0].value)
                        if key is not None and A.token_name(key) and self._caller_value(f.value):
                            return key.lower()
        return None

    def _constructor(self, node: cst.BaseExpression) -> bool:
        """`User(email=..., hashed_password=...)`: a class of the project or a library, called."""
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call) or not isinstance(node.func, (cst.Name, cst.Attribute)) or not A.camel(node.func):
            return False
        return self.ctx.qualify(node.func) is not None or (
            isinstance(node.func, cst.Name) and self._local_frame(node.func.value) is None)

    def _caller_value(self, node: cst.BaseExpression) -> bool:
        """The expression is rooted in a parameter or local of the function (not `self`, not a
        module-level name)."""
        while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
            node = node.value if not isinstance(node, cst.Call) else node.func
        return isinstance(node, cst.Name) and node.value != "self" and self._local_frame(node.value) is not None

    @staticmethod
    def _deferred(value: cst.BaseExpression) -> bool:
        """`return await get_status()`: a plain call of a function, judged when linked."""
        if isinstance(value, cst.Await):
            value = value.expression
        return isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)) and all(
            isinstance(a.value, (cst.Name, cst.SimpleString, cst.Integer)) or astutil.name_of(a.value) is not None
            for a in value.args[:4])  # `execute(data)`, `execute(body.email)`

    def _static(self, pp: PurposeState, node: cst.BaseExpression, depth: int = 0) -> bool:
        """Built of constants only: literals, module constants, configuration values whose names
        are not secrets, timestamps, responses of those (a health probe's or a root page's body)."""
        if depth > 8:
            return False
        d = depth + 1
        if type(node) in (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Imaginary):
            return True
        if type(node) is cst.FormattedString:
            return all(self._static(pp, p.expression, d) for p in node.parts if type(p) is cst.FormattedStringExpression)
        if type(node) is cst.Name:
            if node.value in ("True", "False", "None") or node.value in pp.static_locals:
                return True
            frame = self._local_frame(node.value)
            return frame is None and node.value.isupper() and self.ctx.qualify(node) is not None
        if type(node) is cst.Attribute:
            head = node
            while type(head) is cst.Attribute:
                if A.SECRETISH.search(head.attr.value):
                    return False
                head = head.value
            if type(head) is cst.Name and head.value in pp.static_locals:
                return True
            return type(head) is cst.Name and self._configuration(pp, head)
        if type(node) is cst.Dict:
            return all(type(el) is cst.DictElement and self._static(pp, el.key, d) and self._static(pp, el.value, d)
                       for el in node.elements)
        if type(node) in (cst.List, cst.Tuple, cst.Set):
            return all(type(el) is cst.Element and self._static(pp, el.value, d) for el in node.elements)
        if type(node) is cst.IfExp:
            return self._static(pp, node.body, d) and self._static(pp, node.orelse, d)
        if type(node) is cst.Await:
            return self._static(pp, node.expression, d)
        if type(node) is cst.BinaryOperation:
            return self._static(pp, node.left, d) and self._static(pp, node.right, d)
        if type(node) is cst.Subscript:
            return self._static(pp, node.value, d)
        if type(node) is cst.Call:
            return self._static_call(pp, node, d)
        return False

    def _configuration(self, pp: PurposeState, head: cst.Name) -> bool:
        """The name holds the deployment's configuration, not the request's data: a module-level
        or imported name (`settings`), a local of the app factory a handler closes over
        (`resolved_settings`), an injected settings object (`settings: Settings = Depends(...)`)."""
        frame = self._local_frame(head.value)
        if frame is None:
            return self.ctx.qualify(head) is not None
        return frame is not self._func() or head.value in pp.config_params

    def _static_helper(self, func: cst.BaseExpression) -> bool:
        """A function of this file, defined above, that answers constants (`_base_fields()`)."""
        if not isinstance(func, cst.Name) or self._local_frame(func.value) is not None:
            return False
        f = self.out.functions.get(func.value)  # type: ignore[attr-defined]  (the collector's output)
        return f is not None and "static" in f.actions and "busy" not in f.actions

    def answer_call(self, pp: PurposeState, node: cst.Call) -> bool:
        """A call that only builds an answer of constants (not work of the handler's own)."""
        name = A.last_name(node.func)
        if self._static_helper(node.func):
            return True
        if (name in ("jsonable_encoder",) or (isinstance(node.func, (cst.Name, cst.Attribute)) and A.camel(node.func))
                or name in A.CONFIG_GETTERS):
            return self._static_call(pp, node, 0)
        return False

    def _static_call(self, pp: PurposeState, node: cst.Call, d: int) -> bool:
        name = A.last_name(node.func)
        if self._static_helper(node.func) and not node.args:
            return True
        q = self.ctx.qualify(node.func) if isinstance(node.func, (cst.Name, cst.Attribute)) else None
        if name == "TemplateResponse":
            # a page from a fixed template whose context is only the request
            for a in node.args:
                v = a.value
                if isinstance(v, cst.Name) and v.value == "request":
                    continue
                if isinstance(v, cst.Dict) and all(isinstance(el, cst.DictElement) and (
                        self._static(pp, el.value, d) or (isinstance(el.value, cst.Name) and el.value.value == "request"))
                        for el in v.elements):
                    continue
                if not self._static(pp, v, d):
                    return False
            return True
        if name in A.CONFIG_GETTERS and node.args:
            first = astutil.literal_str(node.args[0].value)
            if first is not None and not A.SECRETISH.search(first) and (name != "get" or A.env_like(node.func)):
                return True
        if q is not None and q.split(".")[0] in A.TIME_MODULES:
            return True
        if isinstance(node.func, cst.Attribute) and name in ("isoformat", "strftime", "timestamp", "lower", "upper",
                                                              "strip", "lstrip", "rstrip", "title", "capitalize"):
            return self._static(pp, node.func.value, d)
        if name in A.STATIC_RESPONSES or name == "jsonable_encoder" or (
                isinstance(node.func, cst.Name) and name in ("dict", "str", "int", "bool")) or (
                isinstance(node.func, (cst.Name, cst.Attribute)) and name[:1].isupper() and q is not None):
            return all(self._static(pp, a.value, d) for a in node.args)
        return False

    # -- what a function reads: files shipped with the code, models handed around --------------
    def _bundled(self, pp: Optional[PurposeState], node: cst.BaseExpression) -> bool:
        """A path of a file shipped with the code: built from `__file__` or module-level names
        bound so, with literals (`Path(__file__).parent / "icon.png"`, `os.path.join(HERE, "x")`),
        never from anything the request brings."""
        found = self._path_parts(pp, node, 0)
        return found is not None and found

    def _path_parts(self, pp: Optional[PurposeState], node: cst.BaseExpression, depth: int) -> Optional[bool]:
        """None: not made of path parts only; else whether one of them is anchored at the code."""
        if depth > 6:
            return None
        d = depth + 1
        if isinstance(node, cst.Name):
            if node.value == "__file__" or (pp is not None and node.value in pp.bundled):
                return True
            if node.value in self._pp_bundled and (pp is None or self._local_frame(node.value) is None):
                return True
            return None
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return False if astutil.literal_str(node) is not None else None
        return _all_parts(_path_operands(node, _PATH_CALLS), lambda x: self._path_parts(pp, x, d))

    def _shared_store(self, frame: Frame, pp: PurposeState, targets: List[cst.BaseExpression], augmented: bool) -> None:
        """`ITEMS[item.id] = item`, `STATS["hits"] += 1`: the process's shared state changes."""
        for t in targets:
            root = t
            while isinstance(root, (cst.Subscript, cst.Attribute)):
                root = root.value
            if t is not root and isinstance(root, cst.Name) and root.value not in frame.params and (
                    isinstance(t, cst.Subscript) or augmented) and self._local_frame(root.value) is None \
                    and self.ctx.qualify(root) is not None:  # a name of the module (not a loop's or a closure's)
                pp.tags.add("writes")

    def _file_answer(self, pp: PurposeState, name: str, args: List[cst.BaseExpression]) -> bool:
        """Tags a file answered: one of the front end's build (an SPA's index.html, its bundles) is
        code the application ships, not stored data (True); any other file may be anyone's."""
        if name not in A.FILE_ANSWER_CALL:
            return False
        shipped = bool(args) and bool(self._build_path(pp, args[0]))
        pp.tags.add("build-file" if shipped else "file-answer")
        return shipped

    def _build_path(self, pp: Optional[PurposeState], node: cst.BaseExpression, depth: int = 0) -> Optional[bool]:
        """A path under a directory the application ships (a front end's build next to the code,
        `Path(__file__).parent / "dist"`, or a literal build or static directory): None when a part
        is neither such a directory, a literal, nor a parameter or a local of the function (the
        request's path inside that directory); else whether a part anchors it there."""
        if depth > 6:
            return None
        d = depth + 1
        if isinstance(node, cst.Name):
            frame = self._local_frame(node.value)
            if self._path_parts(pp, node, 0) or (pp is not None and node.value in pp.build_paths) or (
                    frame is None and node.value in self._pp_build_dirs):
                return True
            # the request's path inside the directory: a parameter of the handler
            return False if pp is not None and frame is not None and frame is self._func() and \
                node.value in frame.params else None
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            s = astutil.literal_str(node)
            return None if s is None else bool(A.BUILD_DIR.search(s))
        if isinstance(node, cst.FormattedString):
            parts = [p for p in node.parts if type(p) is cst.FormattedStringExpression]
            text = "".join(p.value for p in node.parts if type(p) is cst.FormattedStringText)
            found = [self._build_path(pp, p.expression, d) for p in parts]
            if any(f is None for f in found):
                return None
            return any(found) or bool(A.BUILD_DIR.search(text))
        return _all_parts(_path_operands(node, _BUILD_PATH_CALLS), lambda x: self._build_path(pp, x, d))

    def _asset_read(self, pp: PurposeState, func: cst.BaseExpression, name: str, args: List[cst.BaseExpression]) -> bool:
        """Reads a file shipped with the code: `open(HERE / "x.json")`, `path.read_bytes()`,
        `FileResponse(STATIC / "logo.png")`."""
        if name in ("open", "fileresponse") and isinstance(func, cst.Name) and args:  # `bare` lowers it
            return self._bundled(pp, args[0])
        if name in ("open", "read_text", "read_bytes") and isinstance(func, cst.Attribute):
            return self._bundled(pp, func.value)
        return False

    @staticmethod
    def _pp_generic_model(pp: PurposeState, node: cst.BaseExpression, frame: Frame) -> None:
        if len(pp.models) >= A.MAX_MODELS * 2:
            return
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            pp.models.append(V("unk", q="self:" + node.attr.value))
        elif isinstance(node, cst.Name) and node.value in frame.params:
            pp.models.append(V("unk", q="param:" + node.value))

    def _pp_passed_models(self, pp: PurposeState, node: cst.Call) -> None:
        """Model classes handed to a function that may query them (`fetch_or_404(db, Item, id)`,
        `paginate(db=db, model=Item)`): `pass` values (callee, class) with the parameter they
        bind, a position ("0") or a keyword; reach.py keeps the class only when that parameter
        of the callee is what its query names."""
        pos = 0
        for a in node.args:
            if a.star:
                break
            v = a.value
            if A.camel(v) and isinstance(v, (cst.Name, cst.Attribute)) and len(pp.models) < A.MAX_MODELS * 2:
                mv = self.val(v)
                if mv.k == "ref":
                    where = a.keyword.value if a.keyword is not None else str(pos)
                    pp.models.append(V("pass", q=where, a=(self.val(node.func), mv)))
            if a.keyword is None:
                pos += 1

    def _pp_models(self, pp: PurposeState, func: cst.BaseExpression, args: List[cst.BaseExpression], name: str,
                   frame: Frame) -> None:
        """The model classes a query names: `select(Item)`, `db.query(Item)`, `Item.objects`,
        `session.get(Item, id)`, `await Item.get(id=...)`, `select(Item.id)`. A generic query
        names its model through `self.model` or a parameter: kept as `unk` "self:model" and
        "param:model", which reach.py resolves through the concrete class or the caller."""
        cands: List[cst.BaseExpression] = []
        if isinstance(func, cst.Attribute):
            base = func.value
            while isinstance(base, cst.Attribute) and base.attr.value in ("objects", "query", "select"):
                base = base.value
            if A.camel(base):
                cands.append(base)
            elif base is not func.value or (isinstance(base, cst.Attribute) and "model" in base.attr.value.lower()):
                self._pp_generic_model(pp, base, frame)  # `self.model.objects.all()`, `self.model.get(id=...)`
        for a in args[:3]:
            if isinstance(a, cst.Attribute) and A.camel(a.value):
                cands.append(a.value)
            elif A.camel(a):
                cands.append(a)
            else:
                self._pp_generic_model(pp, a, frame)
        for c in cands:
            v = self.val(c)
            if v.k == "ref" and len(pp.models) < A.MAX_MODELS * 2:
                pp.models.append(v)

    def _injected(self, p: cst.Param) -> bool:
        """The parameter's value comes from Depends()/Security(), in its default or Annotated."""
        calls = [p.default] if isinstance(p.default, cst.Call) else []
        ann = p.annotation.annotation if p.annotation is not None else None
        if isinstance(ann, cst.Subscript):
            calls += [e.slice.value for e in ann.slice if isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Call)]
        return any(A.last_name(c.func) in ("Depends", "Security") for c in calls)


# Calls that build a path from their arguments (and, for methods, from the path they are called on)
_PATH_CALLS = frozenset({"Path", "PurePath", "join", "dirname", "abspath", "realpath", "resolve", "absolute"})
_BUILD_PATH_CALLS = _PATH_CALLS | {"normpath", "joinpath"}
_ON_RECEIVER = frozenset({"resolve", "absolute", "joinpath"})


def _path_operands(node: cst.BaseExpression, calls: frozenset) -> List[cst.BaseExpression]:
    """The parts a path expression is built from: `x.parent`, `x.parents[n]`, `a / b`, `a + b`,
    `Path(a, b)`, `os.path.join(a, b)`, `x.resolve()`; none for anything else."""
    if isinstance(node, cst.Attribute) and node.attr.value == "parent":
        return [node.value]
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) and node.value.attr.value == "parents":
        return [node.value.value]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Divide, cst.Add)):
        return [node.left, node.right]
    if isinstance(node, cst.Call) and A.last_name(node.func) in calls:
        subs = [a.value for a in node.args if a.keyword is None]
        if isinstance(node.func, cst.Attribute) and A.last_name(node.func) in _ON_RECEIVER & calls:
            subs.append(node.func.value)
        return subs
    return []


def _all_parts(subs: List[cst.BaseExpression], judge) -> Optional[bool]:
    """None when there are no parts or one is not a path part (`judge` answers None); else whether
    one of them anchors the path."""
    if not subs:
        return None
    anchored = False
    for x in subs:
        r = judge(x)
        if r is None:
            return None
        anchored = anchored or r
    return anchored
