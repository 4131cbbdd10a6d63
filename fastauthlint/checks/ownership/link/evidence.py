"""Evidence that a column holds the current user's id, gathered once over every function: the
project compares it with the user's id (`if post.author_id != user.id: raise`,
`.filter(Post.author_id == user.id)`) or sets it from it (`Post(author_id=user.id)`). The model
registry takes an owner-named column without a foreign key for an owner only on this evidence."""

from __future__ import annotations

from fastauthlint.checks.ownership.facts import Origin


def learn_user_columns(resolver, models) -> None:
    """Columns the project treats as the current user's id: compared with it (`if
    post.author_id != user.id: raise`, `.filter(Post.author_id == user.id)`) or set from it
    (`Post(author_id=user.id)`). A column without a foreign key counts as an owner by this
    evidence (registry)."""
    if not models.unlinked_authored():
        return  # nothing to decide: leave the summaries packed
    cols = models.user_columns
    for path, fs in resolver.funcs.all():
        users = {p.name for p in fs.params if resolver.is_user_dependency(path, p)}
        if not users:
            continue

        def user_id(o: Origin) -> bool:
            return o.kind == "param" and o.name in users and len(o.attrs) == 1 and o.attrs[0] in ("id", "user_id")

        for chk in fs.checks:  # on a row fetched here (the model of its query)
            if chk.kind in ("deny", "guard", "filter", "returns") and user_id(chk.value) and chk.column \
                    and chk.subject.kind == "site" and not chk.subject.attrs:
                for ref in fs.sites[int(chk.subject.name)].models:
                    hit = models.find_class(ref.name, near=path) if ref.kind == "global" else None
                    if hit is not None:
                        cols.add((hit[1].qualname, chk.column))
        for site in fs.sites:
            for c, v in site.filters:
                if user_id(v):
                    for ref in site.models:
                        hit = models.find_class(ref.name, near=path) if ref.kind == "global" else None
                        if hit is not None:
                            cols.add((hit[1].qualname, c.split(".")[-1]))
        for call in fs.calls:
            if call.callee.kind != "global":
                continue
            hit = None
            for k, v in call.kwargs:
                if user_id(v):
                    hit = hit or models.find_class(call.callee.name, near=path)
                    if hit is not None:
                        cols.add((hit[1].qualname, k))


def self_authored(resolver, models, candidates) -> set:
    """The candidate models whose rows some function makes with an owner column set from the
    current user (`Post(owner_id=current_user.id, **body)`, or from its own parameter of that
    name in a helper: `Comment(user_id=user_id, ...)`): content each user writes for themselves,
    unlike records staff file for someone else (`ServiceID(**body)`)."""
    out: set = set()
    if not candidates:
        return out
    for path, fs in resolver.funcs.all():
        users = {p.name for p in fs.params if resolver.is_user_dependency(path, p)}
        params = {p.name for p in fs.params}
        for call in fs.calls:
            if call.callee.kind != "global" or not call.kwargs:
                continue
            hit = models.find_class(call.callee.name, near=path)
            if hit is None or hit[1].qualname not in candidates or hit[1].qualname in out:
                continue
            m = models.model(hit[1].qualname)
            for k, v in call.kwargs:
                if m is not None and k in m.owner_columns and v.kind == "param" and (
                        v.name in users or (v.name == k and v.name in params and not v.attrs)):
                    out.add(hit[1].qualname)
    return out
