"""The library names and words the per-function recognisers match: ORM and ODM query functions and
methods (SQLAlchemy, SQLModel, Tortoise, Beanie, ODMantic, peewee, ormar, ...), raw-SQL calls,
FastAPI's Depends/Request/HTTPException, packages whose calls never reach project code, and the
word patterns that name admin checks, refusals, visibility and model references."""

from __future__ import annotations

import re


SELECT_FUNCS = {
    "sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select", "sqlalchemy.sql.expression.select",
    "sqlmodel.select", "sqlmodel.sql.expression.select", "sqlalchemy.orm.Query",
}
UPDATE_FUNCS = {"sqlalchemy.update", "sqlalchemy.sql.update", "sqlalchemy.sql.expression.update", "sqlmodel.update",
                "sqlalchemy.dialects.postgresql.update"}
EXISTS_FUNCS = {"sqlalchemy.exists", "sqlalchemy.sql.exists", "sqlalchemy.sql.expression.exists", "sqlmodel.exists"}
DELETE_FUNCS = {"sqlalchemy.delete", "sqlalchemy.sql.delete", "sqlalchemy.sql.expression.delete", "sqlmodel.delete"}
# Methods that, called on a model class, query it (Tortoise, Beanie, ODMantic-less ORMs, ormar,
# peewee, Piccolo, active-record helpers): `Item.get(id=...)`, `Item.filter(owner=user)`.
MODEL_METHODS = {
    "get", "get_or_none", "get_or_404", "first_or_404", "filter", "filter_by", "all", "first", "exclude",
    "find", "find_one", "find_many", "find_all", "select", "get_by_id", "get_by", "delete", "update",
    "count", "exists", "raw", "aggregate", "get_multi", "get_all", "objects", "where", "one",
    "one_or_none", "fetch", "search", "list", "get_many", "delete_many", "update_many",
    "find_one_and_update", "find_one_and_delete", "select_for_update", "in_bulk", "db_delete", "get_joined",
    "get_multi_joined", "get_multi_by_cursor", "update_multi", "delete_multi", "delete_by_id",
}
# Methods that refine a query already built (its filters are the query's filters).
FILTER_METHODS = {"where", "filter", "filter_by", "having", "join", "outerjoin", "join_from",
                  "select_from", "exclude", "find", "find_one", "get", "get_or_none", "first_or_none",
                  "find_many", "one_or_none", "get_one", "bindparams", "params", "update", "delete",
                  "values", "find_all", "exists", "count", "filter_and", "where_in"}
UPDATE_METHODS = {"update", "values", "save", "set", "inc", "update_from_dict", "upsert", "replace",
                  "modify", "find_one_and_update"}
# Lookups by key in an in-memory store of rows (a dict).
STORE_METHODS = {"get", "pop"}
# Methods that write a fetched row back (its query is then a change, not a read).
ROW_SAVES = {"save", "update_from_dict", "set", "replace", "sqlmodel_update", "save_changes", "upsert"}
# (peewee: `Task.delete_by_id(id)`, `row.delete_instance()`)
DELETE_METHODS = {"delete", "remove", "delete_many", "find_one_and_delete", "db_delete", "delete_multi", "delete_by_id",
                  "delete_instance"}
SESSION_QUERY = {"query"}
SESSION_GET = {"get", "get_one"}
ODMANTIC_METHODS = {"find", "find_one", "count"}
RAW_FUNCS = {"text", "execute", "exec_driver_sql", "fetch", "fetch_all", "fetch_one", "fetchrow", "fetchval",
             "fetch_val", "iterate", "executemany", "execute_many", "mogrify", "fetchall", "fetchone",
             "fetch_row", "fetch_many", "execute_query", "run_query", "query_raw", "execute_raw", "raw"}
# DB-API: the rows of the statement a cursor last executed, and the key of a row it inserted.
CURSOR_FETCHES = {"fetchone", "fetchall", "fetchmany", "fetchval", "scalar", "scalar_one", "first", "one"}
INSERTED_ATTRS = {"lastrowid", "inserted_primary_key", "inserted_id", "inserted_ids"}
CONVERSIONS = {"str", "int", "UUID", "uuid.UUID", "ObjectId", "bson.ObjectId", "PydanticObjectId",
               "beanie.PydanticObjectId", "bson.objectid.ObjectId", "uuid.UUID"}
DEPENDS = {"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security",
           "Depends", "Security"}
REQUEST_TYPES = {"fastapi.Request", "starlette.requests.Request", "fastapi.requests.Request",
                 "fastapi.WebSocket", "starlette.websockets.WebSocket", "Request"}
# fastapi-jwt-auth's `Authorize: AuthJWT = Depends()`: these methods return the verified token's
# subject or claims, that is the caller's own identity (never a value the client picks).
JWT_IDENTITY_METHODS = {"get_jwt_subject", "get_raw_jwt", "get_jwt_identity", "get_jwt"}
HTTP_EXCEPTIONS = {"fastapi.HTTPException", "starlette.exceptions.HTTPException", "fastapi.exceptions.HTTPException",
                   "HTTPException"}
RESPONSES = {"JSONResponse", "Response", "PlainTextResponse", "ORJSONResponse", "UJSONResponse", "HTMLResponse"}
# Calls into these packages never reach project code: not worth recording as call sites.
EXTERNAL_ROOTS = {
    "sqlalchemy", "sqlmodel", "fastapi", "starlette", "pydantic", "typing", "logging", "datetime", "os", "json",
    "uuid", "re", "tortoise", "beanie", "odmantic", "asyncio", "time", "math", "random", "secrets", "hashlib",
    "hmac", "base64", "jwt", "jose", "passlib", "bcrypt", "httpx", "requests", "collections", "itertools",
    "functools", "contextlib", "decimal", "enum", "pathlib", "shutil", "subprocess", "sys", "traceback",
    "warnings", "copy", "dataclasses", "string", "urllib", "email", "html", "io", "csv", "inspect", "operator",
    "structlog", "loguru", "sentry_sdk", "celery", "redis", "boto3", "botocore", "aiohttp", "numpy", "pandas",
    "alembic", "databases", "asyncpg", "psycopg2", "psycopg", "motor", "pymongo", "bson", "ormar", "peewee",
    "piccolo", "mongoengine", "fastapi_users", "fastapi_pagination", "slowapi", "orjson", "ujson", "yaml",
    "zoneinfo", "pytz", "dateutil", "arrow", "pendulum", "tenacity", "anyio", "aiofiles", "jinja2", "markdown",
}
ADMIN_NAME = re.compile(r"superuser|admin|is_staff|is_root|sudo|staff_only", re.I)
ADMIN_LITERAL = re.compile(r"^(super_?user|super_?admin|admin|administrator|root|staff|sysadmin|owner_admin)$|admin",
                           re.I)
RAISER = re.compile(r"^_?(abort|raise|throw|deny|forbid|reject|fail|not_found|forbidden|unauthori[sz]ed)", re.I)
MODEL_ATTRS = {"model", "_model", "model_class", "_model_class", "model_cls", "__model__", "entity", "_entity",
               "document", "document_class", "table"}
VISIBILITY_WORD = re.compile(r"public|publish|shared|visible", re.I)
IDENTITY_ATTRS = {"id", "pk", "uuid", "username", "email", "sub", "user_id", "_id"}
MODEL_PARAM = re.compile(r"^(cls|klass|entity|table|model\w*|\w*_model|\w*_cls|\w*_class)$")
NOT_FOUND_NAME = re.compile(r"not_?found|does_?not_?exist|no_?such|missing", re.I)
FORBIDDEN_NAME = re.compile(r"forbidden|permission|not_?allowed|access_?denied|not_?owner|not_?authori[sz]ed",
                            re.I)

# Calls that build a SQL condition (a data-scope dependency returns one)
PREDICATE_CALLS = {"or_", "and_", "not_", "true", "false", "in_", "is_", "like", "ilike", "between", "exists",
                   "any_", "Q"}
