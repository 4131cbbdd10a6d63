"""The shared project model every rule family asks: module names and imports, what a name
evaluates to across modules, the FastAPI graph (apps, routers, includes, mounts, middleware,
dependencies) and the route table.

Per file, in the batched traversal (plain data out, cached):
    names.py             ModuleNames: a module's imports and top-level names
    collect.py           FactsCollector: what a file says about the application, made of
      collect_values.py    expressions read as values (V), in their scope
      collect_flow.py      how a function's code flows: its end, its leading calls, environment
                           gates, instance-attribute guards, allow-lists of paths
      collect_evidence.py  what a function's code shows: credentials, verifiers, rejections, guards
      collect_routes.py    routes, include_router/mount, middleware, calls into project functions
      collect_purpose.py   what a function does, as tags (passwords checked, tokens issued, rows
        collect_answers.py written, signatures verified, ...) and what its answers are built of
        collect_shapes.py  a request's password handed on, existence answers, redirects, stubs
      acts.py              the names and patterns those tags are read from
    collect_unreached.py what may never run: every name a file uses, its methods, its `except`s
    values.py            V, the symbolic value language of the facts
    facts.py             the plain-data facts (FuncFact, ClassFact, RouteFact, IncludeFact, ...)
    store.py             the facts packed for the cache, unpacked lazily

Across files, in the linking phase (no parsing):
    model.py             Project: every file's results; module paths and name resolution
    evaluate.py          Evaluator: what a value denotes (Obj), across modules
    classes.py           class questions: members, library bases, router/app/scheme/login-form kind
    evidence.py          what a function's code shows, followed into the functions it calls
    authentication.py    which dependencies authenticate (Auth), and whether they give the user
    refusal.py           refusals outside the dependency itself: helpers handed the credential,
                         the state of the instance depended on, a middleware's allow-list
    middleware.py        which middleware authenticates, and the paths it lets through
    graph.py             routers, include/mount edges, chains: full paths, dependencies, middleware
    public.py            routes public by design: the marker and the `public-routes` patterns
    reach.py             what a handler does with everything it calls (Deeds)
    purpose.py           routes public by purpose (login, health, ...) and guards that are not a
                         user (capability, signature, OAuth2 client authentication)
    data_access.py       the risk of an unprotected route: what rows it reads or changes
    route_table.py       the route table: route_table() (Route) and linked_routes() (LinkedRoute)
    unreached.py         code nothing reaches (methods nobody names, `except`s of project exceptions
                         the `try` cannot raise): their findings are shown as info
    programs.py          developer scripts: modules run as programs that serve nothing and that the
                         application does not import (their console output is no log)

What it knows of code outside the project: known.py.
"""
