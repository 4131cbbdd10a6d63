"""FAL302 secret-with-literal-fallback (spec §6.2): a missing secret MUST stop the application from
starting; code MUST NOT fall back to a literal secret when the variable is unset.

Reported: a secret read from the environment with a literal fallback — `os.getenv("JWT_SECRET",
"dev")`, `os.environ.get(...)`, `os.getenv(...) or "dev"`, starlette/decouple/environs
`config(..., default="…")`, `settings.get("SECRET_KEY", "dev")`, `getattr(settings, "SECRET_KEY",
"…")` — and a field of a pydantic `BaseSettings` class whose default is a literal secret
(settings.py decides which classes those are, across files when their bases are elsewhere).
"""

from __future__ import annotations

import re
from typing import Dict, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.literals import Hit, masked_value, shown_value, string_of
from fastauthlint.checks.secrets.sensitive import (
    OUTBOUND,
    PLACEHOLDER,
    SECRET,
    classify_value,
    looks_random,
    says_it_signs,
    secret_name_kind,
    secret_role,
)
from fastauthlint.masking import mask_secret
from fastauthlint.project.names import dotted

RULE = "FAL302"

ENV_GETTERS = {  # qualified name -> position of the default argument
    "os.getenv": 1, "os.environ.get": 1, "os.environ.setdefault": 1, "os.getenvb": 1,
    "os.environb.get": 1, "decouple.config": 1,
}
_CONFIG_LIKE = re.compile(r"(^|[._])(env|environ|environment|config|conf|cfg|settings|secrets|vault|options)$", re.I)
ENV_FACTORIES = {"starlette.config.Config": 2, "decouple.AutoConfig": 1, "decouple.Config": 1,
                 "environs.Env": 1}


def env_objects(ctx, constants: Dict[str, cst.BaseExpression]) -> Dict[str, int]:
    """Module names bound to a `Config()`/`Env()` object -> the position of its default argument."""
    out: Dict[str, int] = {}
    for name, value in constants.items():
        if isinstance(value, cst.Call):
            q = ctx.qualify(value.func)
            if q in ENV_FACTORIES:
                out[name] = ENV_FACTORIES[q]
    return out


def call_fallback(node: cst.Call, q: Optional[str], env_objects: Dict[str, int],
                  constants: Dict[str, cst.BaseExpression]) -> Optional[Hit]:
    """`os.getenv("JWT_SECRET", "dev")` and the other lookups with a default argument."""
    name_arg: Optional[cst.BaseExpression] = None
    default: Optional[cst.BaseExpression] = None
    if q in ENV_GETTERS:
        name_arg, default = astutil.argument(node, "key", 0), astutil.argument(node, "default", ENV_GETTERS[q])
    elif isinstance(node.func, cst.Name) and node.func.value in env_objects:
        name_arg = astutil.argument(node, "key", 0)
        default = astutil.argument(node, "default", env_objects[node.func.value])
    elif (isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name)
          and node.func.value.value in env_objects and node.func.attr.value in ("str", "__call__")):
        name_arg, default = astutil.argument(node, "name", 0), astutil.argument(node, "default", 1)
    elif astutil.name_of(node.func) in ("config", "env") and astutil.keyword(node, "default") is not None:
        # `config("JWT_SECRET", default="…")` with a Config/Env object imported from elsewhere.
        name_arg, default = astutil.argument(node, "key", 0), astutil.keyword(node, "default").value
    elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" \
            and _CONFIG_LIKE.search(dotted(node.func.value) or ""):
        # `settings.get("SECRET_KEY", "dev")`, `app.config.get(...)`: a configuration lookup
        # (not any dict: `response.json().get("password", "")` is data).
        name_arg, default = astutil.argument(node, "key", 0), astutil.argument(node, "default", 1)
    elif isinstance(node.func, cst.Name) and node.func.value == "getattr" and q is None \
            and _CONFIG_LIKE.search(dotted(astutil.argument(node, "object", 0) or cst.Name("_")) or ""):
        name_arg, default = astutil.argument(node, "name", 1), astutil.argument(node, "default", 2)
    if name_arg is None or default is None:
        return None
    return _fallback(name_arg, default, constants)


def random_fallback(ctx, node: cst.Call, q: Optional[str], module: cst.Module) -> Optional[Tuple[cst.CSTNode, str]]:
    """`os.getenv("JWT_SECRET", generate_secret())` where the fallback is drawn with the `random`
    module (a Mersenne Twister: its output is predictable from what it has produced, and short draws
    such as six digits are guessed outright), directly or in a function of this module: (the
    fallback, the message)."""
    if q not in ENV_GETTERS:
        return None
    name_arg, default = astutil.argument(node, "key", 0), astutil.argument(node, "default", ENV_GETTERS[q])
    env_name = astutil.literal_str(name_arg)
    if default is None or not isinstance(default, cst.Call) or secret_name_kind(env_name) not in ("secret", "token"):
        return None
    draws = _random_draws(ctx, default)
    if not draws:
        callee = default.func.value if isinstance(default.func, cst.Name) else None
        body = next((st for st in module.body if isinstance(st, cst.FunctionDef) and st.name.value == callee), None)
        draws = _random_draws(ctx, body) if body is not None and not default.args else ""
    if not draws:
        return None
    return default, (f"`{env_name}` falls back to a value drawn with `{draws}` when it is not set: the `random` module "
                     "is not a cryptographic generator (its output can be predicted, and a short draw guessed), "
                     f"and every process draws its own; require it (`os.environ[\"{env_name}\"]`) so that start-up "
                     "fails without it")


def _random_draws(ctx, node: cst.CSTNode) -> str:
    """The first `random.*` call in `node` when nothing in it uses `secrets` or `os.urandom`."""
    found = ""
    for n in astutil.walk(node):
        if isinstance(n, cst.Call):
            q = ctx.qualify(n.func) or ""
            if q.startswith(("secrets.", "os.urandom", "uuid.")):
                return ""
            if q.startswith("random.") and q != "random.SystemRandom" and not found:
                found = q
    return found


def or_fallback(ctx, node: cst.BooleanOperation, env_objects: Dict[str, int],
                constants: Dict[str, cst.BaseExpression]) -> Optional[Hit]:
    """`os.getenv("JWT_SECRET") or "dev"`."""
    if not isinstance(node.operator, cst.Or) or not isinstance(node.left, cst.Call):
        return None
    q = ctx.qualify(node.left.func)
    left = node.left
    is_env = q in ENV_GETTERS or (isinstance(left.func, cst.Name) and left.func.value in env_objects) \
        or (q is not None and q.startswith("os.environ"))
    if is_env:
        return _fallback(astutil.argument(left, "key", 0) or cst.Name("_"), node.right, constants)
    return None


def _fallback(name_arg: cst.BaseExpression, default: cst.BaseExpression,
              constants: Dict[str, cst.BaseExpression]) -> Optional[Hit]:
    env_name = astutil.literal_str(name_arg)
    if env_name is None and isinstance(name_arg, cst.Name):
        env_name = astutil.literal_str(constants.get(name_arg.value))
    kind = secret_name_kind(env_name)
    text = string_of(default)
    if kind is None or text is None:
        return None
    verdict = judge(text, env_name, kind)
    if verdict is None or outbound_stand_in(env_name, text):
        return None
    require = f"require it (`os.environ[\"{env_name}\"]`) so that start-up fails without it"
    if verdict == EMPTY:
        return Hit(default, f"`{env_name}` falls back to an empty string when it is not set: {_EMPTY_NOTE}; {require}",
                   3, EMPTY, kind, name=env_name)
    if is_development_default(env_name, text, verdict):
        return Hit(default, f"`{env_name}` falls back to the development default {mask_secret(text)} when "
                            f"it is not set: {_DEV_DEFAULT_NOTE}; {require}", 3, verdict, kind, warning=True)
    return Hit(default, f"`{env_name}` falls back to a literal when it is not set: "
                        f"{masked_value(verdict, text)}; the application then runs with a known secret; "
                        f"{require}", 3, verdict, kind)


EMPTY = "empty"  # a signing secret's empty default: a known key all the same
_EMPTY_NOTE = "the application then signs and verifies with an empty key, and anyone can forge what it signs"
_DEV_DEFAULT_NOTE = ("a credential the application presents to another service, so a deployment that does not set "
                     "it connects with a known password instead of failing")


def judge(text: str, name: Optional[str], kind: str) -> Optional[str]:
    """SECRET, PLACEHOLDER, EMPTY (an empty or blank default of a secret that signs: `JWT_SECRET=""`)
    or None (not a secret: the empty default of an optional integration, a label)."""
    if not text.strip():
        # An empty default is a known key only where the name says the key signs: `SECRET_KEY = ""`
        # is as often a value the application refuses or never uses.
        return EMPTY if says_it_signs(name) else None
    verdict = classify_value(text, name, kind)
    return verdict if verdict in (SECRET, PLACEHOLDER) else None


# A value that says it stands in for the real one (`"dummy"`, `"fake-password"`): no server is set
# up with it, so a deployment that forgets a credential it presents to another service fails to
# connect rather than connecting with a known password. (A key the application signs with is
# known all the same, whatever it is called: reported.)
_STAND_IN = re.compile(r"^(dummy|fake|placeholder)([-_ ]?(password|pass|pwd|secret|key|token|value))?$", re.I)


def outbound_stand_in(name: Optional[str], text: str) -> bool:
    return secret_role(name) == OUTBOUND and _STAND_IN.match(text.strip()) is not None


def is_development_default(name: Optional[str], text: str, verdict: str) -> bool:
    """A credential the application presents to another service (`POSTGRES_PASSWORD`,
    `MINIO_SECRET_KEY`) defaulting to a value a person typed (`"postgres"`, `"minioadmin"`): a
    warning, where a literal fallback of a secret that signs is an error (anyone can forge with it)
    and a random-looking value is a real credential in the code, wherever it goes."""
    return secret_role(name) == OUTBOUND and (verdict == PLACEHOLDER or not looks_random(text))


def settings_message(name: str, cls: str, verdict: str, shown: str, warning: bool = False) -> str:
    """A settings field's literal default (`shown`: the masked value)."""
    fix = "declare the field without a default so that start-up fails"
    if verdict == EMPTY:
        return f"settings field `{cls}.{name}` defaults to an empty string: {_EMPTY_NOTE}; {fix}"
    if warning:
        return f"settings field `{cls}.{name}` defaults to the development default {shown}: {_DEV_DEFAULT_NOTE}; {fix}"
    return (f"settings field `{cls}.{name}` defaults to the literal {shown_value(verdict, shown)}, so the "
            f"application runs with a known secret when the environment does not set it; {fix}")
