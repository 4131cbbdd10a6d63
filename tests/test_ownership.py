"""Ownership enforcement (FAL201/FAL202) beyond the annotated fixture apps: options, messages,
linting a subset of a project, the cache, and the SQL reading the check relies on."""

from __future__ import annotations


import pytest

from conftest import APPS, lint, write_files as _write
from fastauthlint.checks.ownership.models import tables_from_sql
from fastauthlint.checks.ownership.sql import parse_sql, placeholder_key
from fastauthlint.config import ConfigError, parse_table
from fastauthlint.engine import RunOptions, run

SQLMODEL_APP = APPS / "ownership_sqlmodel"



DEPS = """
    from typing import Annotated

    from fastapi import Depends
    from fastapi.security import OAuth2PasswordBearer

    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


    def get_db(): ...


    def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]):
        return load_user(token)


    SessionDep = Annotated[object, Depends(get_db)]
    CurrentUser = Annotated[object, Depends(get_current_user)]
"""


def test_message_names_model_column_and_route():
    findings = [f for f in lint([SQLMODEL_APP]) if f.rule == "FAL201" and f.path.endswith("items.py")]
    raw = next(f for f in findings if "session.get(Item, id)" in f.message)
    assert "Item" in raw.message and "owner_id" in raw.message and "GET " in raw.message and "/{id}/raw" in raw.message


def test_helper_finding_is_reported_at_the_call_and_names_the_inner_query():
    findings = [f for f in lint([SQLMODEL_APP]) if f.rule == "FAL201"]
    at_call = next(f for f in findings if "PATCH " in f.message and "/{id}/title" in f.message)
    assert at_call.path.endswith("routes/items.py")
    assert "session.get(Item, item_id)" in at_call.message and "app/crud.py" in at_call.message


def test_subset_of_files_uses_facts_of_the_whole_project():
    # pre-commit passes only the changed files: the helper in crud.py is still understood, and
    # findings are shown only for the files given.
    routes = SQLMODEL_APP / "app" / "api" / "routes" / "items.py"
    cfg = parse_table({}, root=SQLMODEL_APP.resolve())
    findings = run(RunOptions(paths=[routes], config=cfg, use_cache=False, jobs=1)).findings
    ours = [f for f in findings if f.rule == "FAL201"]
    assert ours and all(f.path.endswith("routes/items.py") for f in ours)
    assert any("PATCH " in f.message and "/{id}/title" in f.message for f in ours)


def test_cached_facts_give_the_same_findings(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAUTHLINT_CACHE_DIR", str(tmp_path / "cache"))
    app = APPS / "ownership_sqlalchemy_async"
    cfg = parse_table({"owner-fields": ["owner_id", "user_id", "organization_id"]}, root=app.resolve())

    def once():
        res = run(RunOptions(paths=[app], config=cfg, use_cache=True, jobs=1))
        return sorted((f.path, f.line, f.rule, f.message) for f in res.findings if f.rule.startswith("FAL2"))

    first = once()
    assert list((tmp_path / "cache").glob("*.json")), "nothing was cached"
    assert once() == first and first


def test_owner_fields_option_makes_a_tenant_column_an_owner_column(tmp_path):
    files = {
        "app/deps.py": DEPS,
        "app/models.py": """
            from sqlalchemy import Column, ForeignKey, Integer
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()


            class Project(Base):
                __tablename__ = "projects"
                id = Column(Integer, primary_key=True)
                tenant_id = Column(Integer, ForeignKey("tenants.id"))
        """,
        "app/routes.py": """
            from fastapi import APIRouter

            from app.deps import CurrentUser, SessionDep
            from app.models import Project

            router = APIRouter()


            @router.get("/projects/{pid}")
            def read_project(pid: int, db: SessionDep, user: CurrentUser):
                return db.query(Project).filter(Project.id == pid).first()


            @router.get("/projects")
            def list_projects(db: SessionDep, user: CurrentUser):
                return db.query(Project).filter(Project.tenant_id == user.tenant_id).all()
        """,
    }
    root = _write(tmp_path / "app", files)
    assert not [f for f in lint([root], config={}) if f.rule == "FAL201"]
    found = [f for f in lint([root], config={"owner-fields": ["owner_id", "tenant_id"]}) if f.rule == "FAL201"]
    assert [f.line for f in found] == [12]
    assert "tenant_id" in found[0].message and "<current user>.tenant_id" in found[0].message


def test_denial_status_option(tmp_path):
    files = {
        "app/deps.py": DEPS,
        "app/models.py": """
            from sqlmodel import Field, SQLModel


            class Order(SQLModel, table=True):
                id: int = Field(primary_key=True)
                user_id: int = Field(foreign_key="user.id")
        """,
        "app/routes.py": """
            from fastapi import APIRouter, HTTPException, status

            from app.deps import CurrentUser, SessionDep
            from app.models import Order

            router = APIRouter()


            @router.get("/orders/{oid}")
            def read_order(oid: int, db: SessionDep, user: CurrentUser):
                order = db.get(Order, oid)
                if order is None or order.user_id != user.id:
                    raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
                return order
        """,
    }
    root = _write(tmp_path / "app", files)
    assert not [f for f in lint([root], config={}) if f.rule.startswith("FAL2")]
    found = [f for f in lint([root], config={"ownership-denial-status": 403}) if f.rule.startswith("FAL2")]
    assert [(f.rule, f.line) for f in found] == [("FAL202", 14)]
    assert "404" in found[0].message and "403" in found[0].message


@pytest.mark.parametrize("table, message", [
    ({"owner-fields": []}, "owner-fields"),
    ({"owner-fields": ["owner id"]}, "owner-fields"),
    ({"ownership-denial-status": 500}, "ownership-denial-status"),
    ({"ownership-denial-status": "404"}, "ownership-denial-status"),
])
def test_bad_options_are_errors_naming_the_key(tmp_path, table, message):
    with pytest.raises(ConfigError, match=message):
        parse_table(table, root=tmp_path)


def test_a_route_without_a_user_reports_rows_picked_by_a_path_id_only(tmp_path):
    # issue 11: a route without a user that reads an owned row by a client-chosen id is a BOLA even
    # when the route is public; listing, or looking up by a capability, is what public routes do
    files = {
        "app/models.py": """
            from sqlmodel import Field, SQLModel


            class Order(SQLModel, table=True):
                id: int = Field(primary_key=True)
                user_id: int = Field(foreign_key="user.id")
                share_token: str
        """,
        "app/routes.py": """
            from fastapi import APIRouter
            from sqlmodel import select

            from app.models import Order

            router = APIRouter()


            @router.get("/orders/{oid}")
            def read_order(oid: int, db):
                return db.get(Order, oid)


            @router.get("/orders")
            def list_orders(db):
                return db.exec(select(Order)).all()


            @router.get("/shared/{token}")
            def shared_order(token: str, db):
                return db.exec(select(Order).where(Order.share_token == token)).first()
        """,
    }
    root = _write(tmp_path / "app", files)
    found = [f for f in lint([root], config={}) if f.rule.startswith("FAL2")]
    assert [f.line for f in found] == [12]
    assert "route without a user" in found[0].message


# -- SQL reading --------------------------------------------------------------------------------

def test_parse_sql_tables_and_compared_columns():
    stmt = parse_sql("SELECT i.id, i.title FROM items i JOIN tags t ON t.item_id = i.id "
                     "WHERE i.id = :item_id AND i.owner_id = :uid")
    assert stmt.op == "read" and stmt.tables == ("items", "tags")
    assert ("owner_id", "uid") in stmt.comparisons and ("id", "item_id") in stmt.comparisons
    assert parse_sql("DELETE FROM invoices WHERE id = $1").op == "delete"
    upd = parse_sql("UPDATE invoices SET amount = %s WHERE id = %s AND user_id = %s")
    assert upd.op == "update" and upd.tables == ("invoices",)
    # SET assignments do not filter, but their placeholders count: `user_id` binds the third argument
    assert upd.comparisons == [("id", "#1"), ("user_id", "#2")]
    assert parse_sql("SELECT * FROM t WHERE a = ? AND b = $2 AND c = %(c)s AND d = ?").comparisons == [
        ("a", "#0"), ("b", "#1"), ("c", "c"), ("d", "#1")]
    assert parse_sql("hello world") is None and parse_sql("select the best option") is None


def test_placeholder_keys():
    assert placeholder_key(":uid") == "uid"
    assert placeholder_key("%(uid)s") == "uid"
    assert placeholder_key("$2") == "#1"
    assert placeholder_key("%s") == "" and placeholder_key("?") == ""


def test_create_table_statements():
    tables = tables_from_sql("""
        CREATE TABLE IF NOT EXISTS public.invoices (
            id SERIAL PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users (id),
            amount NUMERIC(10, 2) NOT NULL,
            FOREIGN KEY (amount) REFERENCES money (id)
        );
    """)
    assert len(tables) == 1
    t = tables[0]
    assert t.name == "invoices" and t.columns == ("id", "user_id", "amount")
    assert ("user_id", "users") in t.fks


def test_text_locations_agree_with_libcst_positions(monkeypatch):
    # Query, call and refusal locations are found in the source text (cheaper than resolving
    # PositionProvider for every file); they must be exactly where libcst puts them.
    import fastauthlint.checks.ownership.spans as spans

    seen, wrong = [], []
    original = spans.FunctionLocator.span

    def checked(self, node, after=None):
        got = original(self, node, after)
        want = self.locator.ctx.span(node)
        seen.append(got)
        if got != want:
            wrong.append((self.locator.ctx.rel, want, got))
        return got

    monkeypatch.setattr(spans.FunctionLocator, "span", checked)
    for app in sorted(APPS.glob("ownership_*")):
        lint([app])
    assert len(seen) > 100 and not wrong


def test_an_internal_error_while_linking_is_reported_and_the_run_goes_on(monkeypatch):
    from fastauthlint.checks.ownership.link.walk import OwnershipWalk

    def boom(self, path, fs, b, depth=0):
        raise RuntimeError("synthetic")

    monkeypatch.setattr(OwnershipWalk, "analyze", boom)
    findings = lint([SQLMODEL_APP])
    errors = [f for f in findings if f.rule == "FAL000"]
    assert errors and "internal error while checking ownership" in errors[0].message
    assert "synthetic" in errors[0].message


def test_messages_and_cached_facts_never_carry_a_literal_key(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAUTHLINT_CACHE_DIR", str(tmp_path / "cache"))
    key = "sk_live_" + "4f9c2a7b1e8d3c6a5f0b"
    files = {
        "app/deps.py": DEPS,
        "app/models.py": """
            from sqlmodel import Field, SQLModel


            class Order(SQLModel, table=True):
                id: int = Field(primary_key=True)
                user_id: int = Field(foreign_key="user.id")
                partner_key: str
        """,
        "app/routes.py": f"""
            from fastapi import APIRouter
            from sqlmodel import select

            from app.deps import CurrentUser, SessionDep
            from app.models import Order

            router = APIRouter()


            @router.get("/partner-orders")
            def partner_orders(db: SessionDep, user: CurrentUser):
                return db.exec(select(Order).where(Order.partner_key == "{key}")).all()
        """,
    }
    root = _write(tmp_path / "app", files)
    cfg = parse_table({}, root=root.resolve())
    findings = run(RunOptions(paths=[root], config=cfg, use_cache=True, jobs=1)).findings
    ours = [f for f in findings if f.rule == "FAL201"]
    assert ours and all(key not in f.message for f in ours)
    cached = list((tmp_path / "cache").glob("*.json"))
    assert cached
    for c in cached:
        assert key not in c.read_text(encoding="utf-8")


def test_fal202_is_info_where_row_ids_are_random_uuids():
    # issue 10 item 10: with uuid4 keys a 403 confirms only an id the caller already holds
    uuid_app = [f for f in lint([SQLMODEL_APP]) if f.rule == "FAL202" and f.path.endswith("routes/items.py")]
    assert uuid_app and all(f.severity.value == "info" and "random UUIDs" in f.message for f in uuid_app)
    int_app = [f for f in lint([APPS / "ownership_sqlalchemy_sync"]) if f.rule == "FAL202"]
    assert int_app and all(f.severity.value == "warning" for f in int_app)  # the rule's own severity


def test_a_schema_in_sql_files_is_read_and_its_changes_invalidate_the_cached_link(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAUTHLINT_CACHE_DIR", str(tmp_path / "cache"))
    files = {
        "app/deps.py": DEPS,
        "app/routes.py": """
            from fastapi import APIRouter

            from app.deps import CurrentUser

            router = APIRouter()


            @router.get("/invoices/{invoice_id}")
            async def read_invoice(invoice_id: int, conn, user: CurrentUser):
                return await conn.fetchrow("SELECT * FROM invoices WHERE id = $1", invoice_id)
        """,
        "db/schema.sql": "CREATE TABLE invoices (id SERIAL PRIMARY KEY, total INT);\n",
    }
    root = _write(tmp_path / "app", files)
    cfg = parse_table({}, root=root.resolve())

    def fal201():
        res = run(RunOptions(paths=[root], config=cfg, use_cache=True, jobs=1))
        return [f for f in res.findings if f.rule == "FAL201"]

    assert fal201() == []  # no owner column yet
    (root / "db" / "schema.sql").write_text(
        "CREATE TABLE invoices (\n  id SERIAL PRIMARY KEY,\n  user_id INT REFERENCES users(id)\n);\n")
    found = fal201()
    assert [f.line for f in found] == [11] and "invoices" in found[0].message
