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
from typing import Dict, Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.literals import Hit, masked_value, shown_value, string_of
from fastauthlint.checks.secrets.sensitive import PLACEHOLDER, SECRET, classify_value, secret_name_kind
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
    verdict = classify_value(text, env_name, kind)
    if verdict not in (SECRET, PLACEHOLDER):
        return None
    return Hit(default, f"`{env_name}` falls back to a literal when it is not set: "
                        f"{masked_value(verdict, text)}; the application then runs with a known secret; "
                        f"require it (`os.environ[\"{env_name}\"]`) so that start-up fails without it", 3, verdict)


def settings_message(name: str, cls: str, verdict: str, shown: str) -> str:
    """A settings field's literal default (`shown`: the masked value)."""
    return (f"settings field `{cls}.{name}` defaults to the literal {shown_value(verdict, shown)}, so the "
            f"application runs with a known secret when the environment does not set it; declare the field "
            f"without a default so that start-up fails")
