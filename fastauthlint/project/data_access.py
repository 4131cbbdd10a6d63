"""What rows an unprotected route reads or writes, and so how much it matters (issue 10, item 4).

An unprotected route is an error when it changes state (it writes, sends mail, calls out, starts a
process or a task) or when it reads rows that belong to users or tenants (an owner- or
tenant-scoped model, the user table, credentials), or when what it reads cannot be told. It is
`info`, with the reason, when it only reads data that belongs to nobody: a catalogue model with no
owner or tenant column, owned rows filtered on a public flag, or static information.

The model classification is behind `ModelKinds`: the ownership family keeps the registry of
owner- and tenant-scoped models; until the project model can ask it, `AttributeModelKinds` reads
what the project model's class facts show (the columns a model declares, its own and inherited).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Set, Tuple

from fastauthlint.project.acts import ACTIVE_FLAG, PUBLIC_FLAG
from fastauthlint.project.evaluate import Evaluator
from fastauthlint.project.facts import FuncFact
from fastauthlint.project.reach import Deeds, Reach

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Risk:
    severity: str  # "error" | "info"
    reason: str  # why, for the message ("" for errors)


class ModelKinds(Protocol):
    def kind(self, path: str, qual: str) -> str:
        """"owned" (a user's or a tenant's rows), "users" (accounts), "credentials", "catalogue"
        (rows of nobody), "service" (a class of methods only, no table), "catalogue-flagged" (rows of nobody with a published/active switch: public
        when read through it, the hidden ones are not), or "unknown"."""


# Columns (or relations) that say whose a row is.
_OWNER = re.compile(r"^(user|owner|author|creator|created_by|updated_by|uploaded_by|account|customer|member|profile"
                    r"|tenant|org|organization|organisation|workspace|team|company|client|seller|buyer|employee"
                    r"|patient|student|subscriber|person|sender|recipient|requester|auth|auth_user|order)"
                    r"(_id|_uuid|_pk|_ids|_email)?$"
                    # an address a person receives things at
                    r"|^(delivery|shipping|billing|home)_address$", re.I)
_CREDENTIAL = re.compile(r"password|passwd|secret|api_?key|private_?key|key_hash|token|credential|otp", re.I)
USER_CLASS = re.compile(r"^(auth)?(user|users|account|accounts|member|members|customer|customers|admin|admins|staff"
                         r"|profile|userprofile|person|people|employee|employees)(model|entity|table|orm|db)?$", re.I)


class MemoKinds:
    """`kind()` answered once per model; subclasses say how in `_kind()`."""

    _memo: Dict[Tuple[str, str], str]

    def kind(self, path: str, qual: str) -> str:
        key = (path, qual)
        if key not in self._memo:
            self._memo[key] = self._kind(path, qual)
        return self._memo[key]

    def _kind(self, path: str, qual: str) -> str:
        raise NotImplementedError


class AttributeModelKinds(MemoKinds):
    """Provisional: a model's kind from the attributes its class facts declare, through its
    project bases (mixins): a column the ownership family's `owner-fields`/`tenant-fields` name
    (also as a relation, `owner` for `owner_id`), or one of the usual owner and tenant columns."""

    def __init__(self, evaluator: Evaluator, owner_fields: Sequence[str] = ()):
        self.E = evaluator
        self.owner_fields = {f.lower() for f in owner_fields}
        self._memo = {}

    def _kind(self, path: str, qual: str) -> str:
        if any(b.startswith("pydantic.") for b in self.E.classes.external_bases(path, qual)):
            return "unknown"  # a schema, not a table
        names: Set[str] = set()
        self._attrs(path, qual, names, 0)
        short = qual.rsplit(".", 1)[-1]
        if not names:
            c = self.E.cls(path, qual)
            # `NewsletterService.fetch(db, id)`: a class of methods only, named like a query's model
            return "service" if c is not None and c.methods and not self.E.classes.external_bases(path, qual) else "unknown"
        if USER_CLASS.match(short):
            return "users"
        if any(_CREDENTIAL.search(n) for n in names):
            return "credentials"
        if any(_OWNER.match(n) or n.lower() in self.owner_fields or f"{n.lower()}_id" in self.owner_fields
               for n in names):
            return "owned"
        if any(n.lower() in PUBLIC_FLAG for n in names):
            return "catalogue-flagged"  # only its shown rows are public
        # an `is_active` switch alone retires rows (a discontinued plan), it does not make them private
        return "catalogue"

    def _attrs(self, path: str, qual: str, out: Set[str], depth: int) -> None:
        c = self.E.cls(path, qual)
        if c is None or depth > 6:
            return
        out.update(name for name, _ann, _value in c.attrs if not name.startswith("__") or name == "__tablename__")
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "class":
                    self._attrs(bo.path, bo.name, out, depth + 1)


# The ownership family keeps the model registry (foreign keys, inheritance across files): when it
# is loaded it registers a factory here that wraps the attribute view (the project model never
# imports a family). Its answers only ever make a model more scoped than the attribute view says.
_KINDS_FACTORY: Optional[Callable[[object, ModelKinds, Sequence[str]], ModelKinds]] = None


def provide_model_kinds(factory: Callable[[object, ModelKinds, Sequence[str]], ModelKinds]) -> None:
    global _KINDS_FACTORY
    _KINDS_FACTORY = factory


def model_kinds(evaluator: Evaluator, owner_fields: Sequence[str] = ()) -> ModelKinds:
    base = AttributeModelKinds(evaluator, owner_fields)
    if _KINDS_FACTORY is None:
        return base
    return _KINDS_FACTORY(evaluator.project, base, owner_fields)


class DataAccess:
    def __init__(self, reach: Reach, kinds: ModelKinds):
        self.reach = reach
        self.kinds = kinds

    def risk(self, method: str, hpath: str, hfact: Optional[FuncFact], optional: bool = False) -> Risk:
        """The severity of an unprotected route, and why when it is info. `optional`: only an
        optional authentication applies and the handler works with the user (tests it, hands it on)."""
        # a WebSocket is judged like a read: what it sends back is what decides, unless it changes state
        # a write route is an error even when its body does nothing yet (`return {"deleted": id}`):
        # its method says what it is for
        if hfact is None or (method not in SAFE_METHODS and method != "WEBSOCKET"):
            return Risk("error", "")
        d = self.reach.deeds(hpath, hfact)
        if optional and not _changes_state(d):
            # a read that asks for a user it does not require was written for anonymous callers
            # too (a public page that shows more to a signed-in user, private items refused below)
            return Risk("info", "authentication is optional by design on this read: it serves anonymous callers and "
                                "uses the user when there is one")
        if d.opaque or _changes_state(d):
            return Risk("error", "")
        if d.models:
            owned: List[str] = []
            plain: List[str] = []
            for m in d.models:
                k = self.kinds.kind(m.path, m.name)
                name = m.name.rsplit(".", 1)[-1]
                if k == "service":
                    continue
                if k == "catalogue" or (k == "catalogue-flagged" and d.has("public-filter", "active-filter")):
                    plain.append(name)
                elif k == "owned" and d.has("public-filter"):
                    owned.append(name)
                else:
                    return Risk("error", "")
            if not owned and not plain:
                return Risk("error", "")  # no table among them: what it reads is not known
            if owned:
                return Risk("info", f"it reads {_names(owned + plain)} rows filtered on a public flag")
            return Risk("info", f"it reads only {_names(plain)}, which {'has' if len(plain) == 1 else 'have'} "
                                "no owner or tenant column")
        if d.static and not d.busy and not d.inputs:
            return Risk("info", "it answers static information (constants and settings that are not secrets)")
        if d.has("asset") and len(d.funcs) == 1 and not d.inputs:
            # it calls no project code and depends on nothing: it serves a file shipped with the code
            return Risk("info", "it answers a file shipped with the code (a bundled asset or manifest)")
        if not d.foreign and not d.methods and not d.has("store-read", "secret-read"):
            # every function on the way is the project's own and calls nothing that reads stored
            # data: a catalogue built from the code, the clock, a version, a list of constants (a
            # method may read what its instance gathered at run time: a queue's jobs, live sessions)
            return Risk("info", "it reads no stored data: its answer is computed by the project's code (constants, "
                                "its own modules, the clock)")
        if _echo(d):
            # it calls nothing and depends on nothing: its answer is made of what the caller sent
            return Risk("info", "it reads nothing: its answer is built from the request alone")
        return Risk("error", "")


def _echo(d: Deeds) -> bool:
    return not d.busy and len(d.funcs) == 1 and not d.refuses and bool(d.inputs) and not d.models and not d.opaque \
        and not _changes_state(d) and not d.has("store-read", "file-answer", "secret-read", "sets-param-field")


def _changes_state(d: Deeds) -> bool:
    return d.has("writes", "creates", "mail", "issue", "mint", "decrypt", "grants-admin", "logout", "revoke") or any(
        t.startswith("effect:") for t in d.tags)


def _names(names: List[str]) -> str:
    uniq = list(dict.fromkeys(names))
    return ", ".join(f"`{n}`" for n in uniq[:3]) + (f" and {len(uniq) - 3} more" if len(uniq) > 3 else "")
