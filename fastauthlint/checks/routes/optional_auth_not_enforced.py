"""FAL102 optional-auth-not-enforced: the user of an optional authentication (None for anonymous
requests) is used before the handler checks that there is one.

Reported where the handler first dereferences the parameter (`user.id`, `user["sub"]`), once per
place whatever the number of routes served by that handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Set, Tuple

from fastauthlint.findings import Finding, Span

if TYPE_CHECKING:  # the route table is loaded when linking runs (see the package's link)
    from fastauthlint.project.route_table import LinkedRoute

FAL102 = "FAL102"


def findings(linked: List[LinkedRoute]) -> List[Finding]:
    out: List[Finding] = []
    seen: Set[Tuple[str, int, str]] = set()
    for lr in linked:
        if not lr.optional_unchecked or lr.handler_fact is None:
            continue
        names = {a.param for a in lr.optional if a.param}
        for p in lr.handler_fact.params:
            if p.name in names and p.deref_line and not p.checked:
                key = (lr.handler_file, p.deref_line, p.name)
                if key in seen:
                    continue
                seen.add(key)
                auth = next(a.auth for a in lr.optional if a.param == p.name)
                if auth.off_unless:
                    # `if get_config("ENV", "DEV") == "PROD": Authorize.jwt_required()`
                    message = (f"authentication is off unless {auth.off_unless} ({auth.text}), so for requests to "
                               f"{lr.method} {lr.path} in the default environment `{p.deref_text}` is used with "
                               "nothing verified; authenticate in every environment")
                else:
                    message = (f"`{p.name}` comes from optional authentication ({auth.text}) and is None for "
                               f"anonymous requests to {lr.method} {lr.path}, but `{p.deref_text}` is used without "
                               f"checking it; reject the request when `{p.name}` is None (or use the required "
                               "dependency)")
                out.append(Finding(
                    rule=FAL102, path=lr.handler_file, span=Span(p.deref_line, 1, p.deref_line, 1),
                    message=message,
                    extra={"method": lr.method, "path": lr.path}))
    return out
