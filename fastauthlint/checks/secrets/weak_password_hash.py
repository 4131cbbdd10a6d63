"""FAL303 weak-password-hash (preview; spec §6): passwords MUST be stored with a slow, salted
password hash (bcrypt, argon2, scrypt, PBKDF2 with a work factor).

Reported:

- a fast digest of a password — `hashlib.md5/sha1/sha256/sha512/blake2b/new(...)` (also
  `Crypto.Hash`/`cryptography` digests) given a value named for a password (`password`,
  `plain_password`, `pwd`, `password + salt`, `password.encode()`), or given a parameter of a
  function named for password hashing (`hash_password`, `get_password_hash`, `verify_password`);
- a single HMAC round over a password: `hmac.new(key, password, ...)`, `hmac.digest(...)`;
- a `passlib` `CryptContext(schemes=[...])` whose schemes are all fast or unsalted
  (`hex_sha256`, `md5_crypt`, `ldap_sha1`, `plaintext`, ...).

Not reported: a digest or HMAC in a function that also calls a slow password hash (a pepper or a
pre-hash before `bcrypt.hashpw`), or in a helper whose result a caller in the file hands to a slow
hash (`ctx.hash(_prehash(password))`), `hashlib.pbkdf2_hmac`, `hashlib.scrypt`, bcrypt, argon2; digests of tokens and API
keys (a fast hash is right for high-entropy values); a value named for a hash (`hashed_password`);
test code. Comparing a stored hash with `==` is FAL604's business.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

import libcst as cst

from fastauthlint.astutil import argument, iter_children, literal_str, parameters
from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.context import FileContext

RULE = "FAL303"

_DIGESTS = {f"hashlib.{n}" for n in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256",
                                     "sha3_512", "blake2b", "blake2s", "new")}
_DIGESTS |= {f"Crypto.Hash.{n}.new" for n in ("MD5", "SHA1", "SHA256", "SHA512")}
_DIGESTS |= {f"Cryptodome.Hash.{n}.new" for n in ("MD5", "SHA1", "SHA256", "SHA512")}
_HMAC = {"hmac.new", "hmac.digest", "hmac.HMAC"}
_CRYPT_CONTEXT = {"passlib.context.CryptContext", "passlib.apps.CryptContext"}
# passlib schemes without salt or work factor (or with one far too small for today's hardware).
WEAK_SCHEMES = frozenset({
    "plaintext", "ldap_plaintext", "hex_md4", "hex_md5", "hex_sha1", "hex_sha256", "hex_sha512", "ldap_md5",
    "ldap_sha1", "ldap_salted_md5", "ldap_salted_sha1", "ldap_salted_sha256", "ldap_salted_sha512",
    "md5_crypt", "apr_md5_crypt", "des_crypt", "bsdi_crypt", "bigcrypt", "crypt16", "mysql323", "mysql41",
    "postgres_md5", "oracle10", "oracle11", "msdcc", "msdcc2", "nthash", "lmhash", "htdigest", "roundup_plaintext",
    "sun_md5_crypt", "unix_disabled", "cisco_pix", "cisco_asa", "cisco_type7",
})

PASSWORD = re.compile(r"(^|_)(password|passwd|pwd|pass_?word|passphrase|user_?pass|plain_?pass)(s)?($|_)", re.I)
# Names of a hash, a token or a key: hashing those fast is right, or they are already hashed.
_NOT_PASSWORD = re.compile(r"hash|digest|token|reset|salt|key|secret|crypt|_at$|length|min|max|policy|field", re.I)
HASHING_FUNCTION = re.compile(r"(hash|encrypt|encode|digest|verify|check|compare|make)_?\w*password|"
                              r"password_?\w*(hash|encrypt|digest|verify|check)", re.I)


def password_names(expr: cst.CSTNode, extra: Set[str]) -> Optional[str]:
    """The first password-named value `expr` uses (`password`, `user.password`, `data.pwd`), or a
    name in `extra` (the parameters of a password-hashing function)."""
    stack: List[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            if node.value in extra or (PASSWORD.search(node.value) and not _NOT_PASSWORD.search(node.value)):
                return node.value
        elif isinstance(node, cst.Attribute):
            attr = node.attr.value
            if PASSWORD.search(attr) and not _NOT_PASSWORD.search(attr):
                return attr
            if attr in ("encode", "get_secret_value", "strip", "lower"):
                stack.append(node.value)  # `password.encode()`
                continue
            continue  # `settings.x` or `user.name`: not the password itself
        elif isinstance(node, cst.Subscript):
            key = literal_str(node.slice[0].slice.value) if len(node.slice) == 1 \
                and isinstance(node.slice[0].slice, cst.Index) else None
            if key and PASSWORD.search(key) and not _NOT_PASSWORD.search(key):
                return key
            continue
        elif isinstance(node, (cst.Lambda, cst.FunctionDef)):
            continue
        stack.extend(iter_children(node))
    return None


def _schemes(call: cst.Call) -> Optional[List[str]]:
    expr = argument(call, "schemes", 0)
    if isinstance(expr, (cst.List, cst.Tuple)):
        out = []
        for el in expr.elements:
            s = literal_str(el.value)
            if s is None:
                return None
            out.append(s)
        return out
    s = literal_str(expr) if expr is not None else None
    return [x.strip() for x in s.split(",")] if s else None


# A slow password hash in the same function: a fast digest or an HMAC before it is a pepper or a
# pre-hash (`hmac.new(PEPPER, password, sha256)` then `bcrypt.hashpw`), not the stored hash.
_SLOW_ROOTS = ("bcrypt.", "argon2.", "passlib.", "pwdlib.", "nacl.pwhash.", "hashlib.pbkdf2_hmac", "hashlib.scrypt")
_SLOW_NAMES = re.compile(r"^(hashpw|checkpw|pbkdf2_hmac|scrypt|kdf|derive|hash_password|verify_password)$")
_HASHER_RECEIVER = re.compile(r"ctx|context|hasher|pwd|crypt|argon|bcrypt|password_hash", re.I)


class _Frame:
    """One function: its pending findings, whether it calls a slow password hash, and the helpers
    whose result it hands to one (`normalized = _prehash(password)`, `ctx.hash(normalized)`)."""

    __slots__ = ("name", "pending", "slow", "results", "fed")

    def __init__(self, name: str):
        self.name = name
        self.pending: list = []
        self.slow = False
        self.results: Dict[str, str] = {}  # local name -> the function whose result it holds
        self.fed: Set[str] = set()  # functions whose result reaches a slow hash here


def _callee(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if not isinstance(expr, cst.Call):
        return ""
    func = expr.func
    return func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")


class WeakPasswordHashVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self._params: List[Set[str]] = []
        self._frames: List[_Frame] = [_Frame("")]
        # findings of functions without a slow hash, held until the file's end: a caller that hands
        # the function's result to a slow hash makes it a pre-hash (bcrypt's 72-byte limit), not
        # the stored hash
        self._held: List[_Frame] = []
        self._fed: Set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        names: Set[str] = set()
        if HASHING_FUNCTION.search(node.name.value):
            names = {p.name.value for p in parameters(node) if p.name.value not in ("self", "cls")
                     and not _NOT_PASSWORD.search(p.name.value)}
        self._params.append(names)
        self._frames.append(_Frame(node.name.value))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._params.pop()
        self._close(self._frames.pop())

    def leave_Module(self, original_node: cst.Module) -> None:
        self._close(self._frames.pop())
        for frame in self._held:
            if frame.name not in self._fed:
                for node, message in frame.pending:
                    self.report(RULE, node, message)

    def _close(self, frame: _Frame) -> None:
        self._fed |= frame.fed
        if not frame.slow and frame.pending:
            self._held.append(frame)

    def visit_Assign(self, node: cst.Assign) -> None:
        callee = _callee(node.value)
        if callee:
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    self._frames[-1].results[t.target.value] = callee

    def _feeds(self, node: cst.Call) -> None:
        """The helpers whose result the arguments of a slow hash carry."""
        frame = self._frames[-1]
        for arg in node.args:
            stack: List[cst.CSTNode] = [arg.value]
            while stack:
                n = stack.pop()
                if isinstance(n, cst.Name) and n.value in frame.results:
                    frame.fed.add(frame.results[n.value])
                elif isinstance(n, cst.Call) and _callee(n):
                    frame.fed.add(_callee(n))
                if not isinstance(n, (cst.Lambda, cst.FunctionDef)):
                    stack.extend(iter_children(n))

    def _slow(self, node: cst.Call, q: Optional[str]) -> bool:
        if q and q.startswith(_SLOW_ROOTS):
            return True
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
        if _SLOW_NAMES.match(name):
            return True
        if isinstance(func, cst.Attribute) and name in ("hash", "verify", "encrypt", "using"):
            recv = func.value
            recv_name = recv.attr.value if isinstance(recv, cst.Attribute) else (
                recv.value if isinstance(recv, cst.Name) else "")
            return bool(_HASHER_RECEIVER.search(recv_name))
        return False

    def visit_Call(self, node: cst.Call) -> None:
        q = self.ctx.qualify(node.func)
        if self._slow(node, q):
            self._frames[-1].slow = True
            self._feeds(node)
        if q is None:
            return
        extra = self._params[-1] if self._params else set()
        if q in _DIGESTS or q in _HMAC:
            if q in _HMAC:
                data = argument(node, "msg", 1)
            elif q == "hashlib.new":
                data = argument(node, "data", 1)
            else:
                data = node.args[0].value if node.args and node.args[0].keyword is None else argument(node, "string")
            name = password_names(data, extra) if data is not None else None
            if name is not None:
                what = "a single HMAC round" if q in _HMAC else f"`{q}` (a fast, unsalted digest)"
                self._frames[-1].pending.append((node, f"password `{name}` hashed with {what}: store passwords with "
                                                  "argon2, bcrypt, scrypt or PBKDF2 with a work factor (spec §6)"))
        elif q in _CRYPT_CONTEXT:
            schemes = _schemes(node)
            if schemes and all(s in WEAK_SCHEMES for s in schemes):
                self.report(RULE, node, f"`CryptContext` lists only fast or unsalted schemes ({', '.join(schemes)}): "
                                        "use argon2 or bcrypt (spec §6)")


_RELEVANT = re.compile(r"hashlib|hmac|CryptContext|Crypto", re.I)
_PASSWORD = re.compile(r"pass|pwd", re.I)


class WeakPasswordHashCheck(Check):
    name = "secrets-weak-password-hash"
    rules = (RULE,)

    def visitor(self, ctx: FileContext) -> Optional[CheckVisitor]:
        if ctx.is_test or not ctx.mentions(_RELEVANT) or not ctx.mentions(_PASSWORD):
            return None
        return WeakPasswordHashVisitor(ctx)


CHECK = WeakPasswordHashCheck()
