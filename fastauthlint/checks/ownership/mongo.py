"""MongoDB collections used without an ODM (Motor, PyMongo): `db["notes"]`, `db.notes`,
`db.get_collection("notes")`, or a module-level name bound to one (`notes = db.get_collection(
"notes")`), queried with a filter document (`await notes.find_one({"_id": ObjectId(note_id)})`).

A collection has no declared schema: it is owner-scoped when the project writes or filters its
documents with an owner key (`insert_one({"title": t, "owner_id": user["_id"]})`, `find({"owner_id":
uid})`); those keys are recorded as a table (`TableFact(kind="mongo")`) and every query is a raw
site on it whose filters are the filter document's keys.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint import astutil

READ = {"find_one": "read", "find": "read", "count_documents": "count", "distinct": "read",
        "update_one": "update", "update_many": "update", "replace_one": "update", "find_one_and_update": "update",
        "find_one_and_replace": "update", "delete_one": "delete", "delete_many": "delete",
        "find_one_and_delete": "delete"}
INSERT = {"insert_one", "insert_many"}
COLLECTION_CLASS = "mongo:collection"  # InstanceFact.cls of a module-level collection
COLLECTION_PREFIX = "mongo:"  # ClassFact.attr_types of an attribute holding one (`self.collection = db["notes"]`)


def collection_literal(expr: cst.BaseExpression) -> Optional[str]:
    """`db["notes"]`, `client.app.get_collection("notes")` -> "notes"."""
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) \
            and isinstance(expr.value, (cst.Name, cst.Attribute)):
        return _name(astutil.literal_str(expr.slice[0].slice.value))
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value == "get_collection" and expr.args:
        return _name(astutil.literal_str(expr.args[0].value))
    return None


def collection_key(expr: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], Optional[str]],
                   is_local: Callable[[str], bool]) -> Optional[str]:
    """The collection a receiver names: its literal name, or `@<qualified name>` of a module-level
    name bound to one (resolved at link through the module's InstanceFact); `db.notes` by the
    attribute (a database object's attribute is its collection)."""
    lit = collection_literal(expr)
    if lit:
        return lit
    if isinstance(expr, cst.Name) and not is_local(expr.value):
        q = qualify(expr)
        return f"@{q}" if q else None
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, (cst.Name, cst.Attribute, cst.Subscript)):
        root = expr.value
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if isinstance(root, cst.Name) and root.value in ("self", "cls"):
            # `self.collection`: the class's attribute, resolved through what `__init__` put there
            return f"self:{expr.attr.value}" if expr.value is root else None
        return _name(expr.attr.value)
    return None


def _name(s: Optional[str]) -> Optional[str]:
    return s if s and s.replace("_", "").replace("-", "").isalnum() else None


def document_keys(doc: cst.BaseExpression) -> Tuple[str, ...]:
    """The string keys of a document literal, and of its `$set`/`$setOnInsert` parts."""
    if not isinstance(doc, cst.Dict):
        return ()
    out = []
    for el in doc.elements:
        if not isinstance(el, cst.DictElement):
            continue
        k = astutil.literal_str(el.key)
        if k in ("$set", "$setOnInsert"):
            out.extend(document_keys(el.value))
        elif k:
            out.append(k)
    return tuple(out)


def owner_keys_of_call(node: cst.Call, method: str, owner_fields: Sequence[str],
                       dicts: Dict[str, cst.Dict]) -> Tuple[str, ...]:
    """Owner keys a collection call writes or filters on (`dicts`: names bound to a document
    literal earlier in the file, `doc = {...}; insert_one(doc)`)."""
    found = []
    for a in node.args[:2]:
        if a.keyword is not None:
            continue
        v = a.value
        docs = v.elements if isinstance(v, cst.List) and method == "insert_many" else [v]
        for d in docs:
            d = d.value if isinstance(d, cst.Element) else d
            if isinstance(d, cst.Name):
                d = dicts.get(d.value)
            if d is not None:
                found += [k for k in document_keys(d) if k in owner_fields]
    return tuple(dict.fromkeys(found))
