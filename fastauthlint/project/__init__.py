"""The shared project model every rule family asks: module names and imports, what a name
evaluates to across modules, the FastAPI graph (apps, routers, includes, mounts, middleware,
dependencies) and the route table."""
