"""FAL301 hardcoded-secret and FAL302 secret-with-literal-fallback: the judgement of names, values
and formats (bandit's B105-B107 and ruff's S105-S107 idioms on both sides), and behaviour that the
annotated fixture apps cannot show (messages, severities, configuration, cross-file settings)."""

from __future__ import annotations


import pytest

from conftest import lint, write_files as write
from fastauthlint.checks.secrets.sensitive import (
    A_NAME,
    OUTBOUND,
    PLACEHOLDER,
    SECRET,
    SIGNING,
    classify_value,
    secret_name_kind,
    secret_role,
    token_formats,
)
from fastauthlint.findings import Severity



def findings(tmp_path, files: dict, rules=("FAL301", "FAL302"), config=None):
    write(tmp_path, files)
    return [f for f in lint([tmp_path], config=config if config is not None else {}) if f.rule in rules]


# -- names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,kind", [
    ("SECRET_KEY", "secret"), ("JWT_SECRET", "secret"), ("client_secret", "secret"), ("OPENAI_API_KEY", "secret"),
    ("apiKey", "secret"), ("private_key", "secret"), ("aws_secret_access_key", "secret"),
    ("X-API-Key", "secret"), ("db_password", "password"), ("FIRST_SUPERUSER_PASSWORD", "password"),
    ("passwd", "password"), ("correct_password_bytes", "password"), ("access_token", "token"),
    ("refreshToken", "token"), ("reset_password_token", "token"), ("Authorization", "token"),
    ("accesstoken", "token"), ("secret_value", "secret"),
    # any case, misspelt, written as two words, before a preposition (bandit's and ruff's idioms)
    ("PassWord", "password"), ("passWord", "password"), ("aPiKeY", "secret"), ("secrete", "secret"),
    ("passowrd", "password"), ("tokn", "token"), ("pass_word", "password"), ("smtpPassWord", "password"),
    ("my_secret_password_for_email", "password"), ("ROOT_TOKENS", "token"),
])
def test_secret_names(name, kind):
    assert secret_name_kind(name) == kind


@pytest.mark.parametrize("name", [
    # bandit/ruff flag these; none of them holds a secret.
    "token_type", "TOKEN_URL", "tokenUrl", "password_reset_url", "SECRET_KEY_ENV", "ACCESS_TOKEN_EXPIRE_MINUTES",
    "PASSWORD_MIN_LENGTH", "password_hash", "hashed_password", "PUBLIC_KEY", "CACHE_KEY", "max_tokens",
    "next_page_token", "eos_token", "DEFAULT_PAD_TOKEN", "expo_push_token", "INVALID_TOKEN", "REGISTER_INVALID_PASSWORD", "LOGIN_BAD_CREDENTIALS",
    "credentials_exception", "is_token_valid", "CSRF_TOKEN_KEY", "key", "primary_key", "token_endpoint",
    "hashedPassword", "passed_msg", "compassion", "impassable", "COMMON_PASSWORDS", "tokenHolder",
])
def test_not_secret_names(name):
    assert secret_name_kind(name) is None


# -- values --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,name,kind,verdict", [
    ("09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7", "SECRET_KEY", "secret", SECRET),
    ("s3cr3t!", "password", "password", SECRET),
    ("correct horse battery staple", "password", "password", SECRET),
    ("changethis", "SECRET_KEY", "secret", PLACEHOLDER),
    ("change-me-in-production", "SECRET_KEY", "secret", PLACEHOLDER),
    ("your-secret-key", "SECRET_KEY", "secret", PLACEHOLDER),
    ("<your-api-key>", "API_KEY", "secret", PLACEHOLDER),
    ("dev", "JWT_SECRET", "secret", PLACEHOLDER),
    ("secret", "JWT_SECRET", "secret", PLACEHOLDER),
    ("password", "DB_PASSWORD", "password", PLACEHOLDER),
    ("SECRET_KEY", "SECRET_KEY_ENV", None, A_NAME),
    ("SECRET", "SECRET", "secret", A_NAME),
    ("access_token", "COOKIE_ACCESS_TOKEN", "token", A_NAME),
    ("JWT_SECRET", "key", None, A_NAME),
    ("", "SECRET_KEY", "secret", None),
    ("   ", "SECRET_KEY", "secret", None),
    ("***", "password", "password", None),
    ("REDACTED", "password", "password", None),
    ("bearer", "token", "token", None),
    ("refresh_token", "grant", None, None),
    ("/auth/token", "TOKEN", "token", None),
    ("https://example.com/oauth/token", "token", "token", None),
    ("keys/private.pem", "PRIVATE_KEY", "secret", None),
    ("Bearer {}", "AUTH", "token", None),
    ("{{ cookiecutter.secret_key }}", "SECRET_KEY", "secret", None),
    ("${JWT_SECRET}", "SECRET_KEY", "secret", None),
    ("Incorrect email or password", "msg", None, None),
    ("X-API-Key", "API_KEY", "secret", None),
    ("Bearer garbage", "Authorization", "token", None),
    ("Bearer 8f3kLm2Qw9ZxV7bN4c", "Authorization", "token", SECRET),
    ("xoxb-valid", "token", "token", None),
    ("invalid", "token", "token", None),
    ("not-a-valid-jwt", "token", "token", None),
    ("fake", "SECRET_KEY", "secret", PLACEHOLDER),
    ("LDAP", "password", "password", None),
    ("EMPTY", "OPENAI_API_KEY", "secret", None),
    ("[PAD]", None, None, None),
    ("<|endoftext|>", None, None, None),
    ("super secret jwt secret", "SECRET", "secret", PLACEHOLDER),
    ("DummyKey", "API_KEY", "secret", PLACEHOLDER),
    # media types, PEM armour lines, local hosts, titles and slugs are not secrets (issue 10 item 8)
    ("application/octet-stream", "Authorization", "token", None),
    ("-----BEGIN RSA PRIVATE KEY-----", "rsa_private_key", "secret", None),
    ("localhost", "api_key", "secret", None),
    ("Elastic Api Key", "api_key", "secret", None),
    ("this cool password", "password", "password", SECRET),
    ("jane-doe-42", "url_token", "token", None),
    ("f3a9c1e0b7d24c6e9a1b0c3d5e7f9a2b", "url_token", "token", SECRET),
    ("jane-doe-42", "auth_token", "token", SECRET),
    ("password", "password", "password", PLACEHOLDER),
    ("password", "PASSWORD", "password", A_NAME),
])
def test_values(value, name, kind, verdict):
    assert classify_value(value, name, kind) == verdict


def test_token_formats():
    found = dict((what, v) for what, v in token_formats(
        "AKIA2E0A8F3B244C9986 ghp_R8f3kLm2Qw9ZxV7bN4cT1yU6pA0sD5gH3jK8 sk_live_9Qm2Zx7Kp4Lw8Rt3Vb6Nc1Jh "
        "AIzaSyA8fK3mQ9wL2xZ7vB4nR6tY1uI0pO5sD3g xoxb-1234567890-0987654321-Zk8Wq3Lm7Np2Xr5Tv9Bc"))
    assert set(found) == {"AWS access key ID", "GitHub token", "Stripe live key", "Google API key", "Slack token"}
    jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.Xk3b9Qz7LmP2vR8tY4wN6cA1sD0fG5hJ"
    assert token_formats(f"Authorization: Bearer {jwt}") == [("JSON Web Token", jwt)]
    assert token_formats("mysql://app:Q7vR2mX9pLz4@db.internal.example.com/app") == [("password in a mysql URL", "Q7vR2mX9pLz4")]


@pytest.mark.parametrize("text", [
    "AKIAIOSFODNN7EXAMPLE",  # AWS's documented example
    "AKIAAAAAAAAAAAAAAAAA",  # no entropy
    "ghp_" + "x" * 36,
    "sk_live_" + "0123456789" * 3,
    # jwt.io's well-known example token
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "eyJub3RhIjoiand0In0.eyJzdWIiOiJ4In0.aaaaaaaaaaaaaaaaaaaaaaaa",  # header without "alg"
    "postgresql://postgres:postgres@localhost:5432/app",  # a local development default
    "postgresql://app:app@db:5432/app",  # a docker-compose service
    "postgresql://app:${DB_PASSWORD}@db.example.com/app",
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    "if key.startswith('-----BEGIN RSA PRIVATE KEY-----'):",
])
def test_not_token_formats(text):
    assert token_formats(text) == []


# -- the check -------------------------------------------------------------------------------------

def test_messages_mask_the_value_and_name_the_placeholder(tmp_path):
    found = findings(tmp_path, {"app/config.py": """
        SECRET_KEY = "changethis"
        API_KEY = "Zq8Wm3Kx7Pn2Tv5Rb"
    """})
    by_line = {f.line: f for f in found}
    assert "changethis" not in by_line[2].message.replace('"changethis")', "")
    assert 'placeholder' in by_line[2].message and '"changethis"' in by_line[2].message
    assert "Zq8Wm3Kx7Pn2Tv5Rb" not in by_line[3].message
    assert '"Zq8W\u2026" (17 chars)' in by_line[3].message
    for f in found:
        assert f.masks and f.masks[0][0] == f.line


def test_test_code_gets_the_lower_severity(tmp_path):
    found = findings(tmp_path, {
        "app/config.py": 'JWT_SECRET = "Zq8Wm3Kx7Pn2Tv5Rb"\n',
        "tests/test_auth.py": 'JWT_SECRET = "Zq8Wm3Kx7Pn2Tv5Rb"\n',
        "tests/conftest.py": 'import os\nSECRET = os.getenv("JWT_SECRET", "Zq8Wm3Kx7Pn2Tv5Rb")\n',
        "app/fakes.py": 'class FakeMailer:\n    password = "Zq8Wm3Kx7Pn2Tv5Rb"\n',
        "scripts/seeds_load.py": 'ADMIN = {"password": "Zq8Wm3Kx7Pn2Tv5Rb"}\n',
        "docs/src/app.py": 'SECRET_KEY = "Zq8Wm3Kx7Pn2Tv5Rb"\n',
    })
    sev = {(f.path.split("/")[-1], f.rule): f.severity for f in found}
    assert sev[("config.py", "FAL301")] == Severity.ERROR
    assert sev[("test_auth.py", "FAL301")] == Severity.INFO
    assert sev[("conftest.py", "FAL302")] == Severity.INFO
    assert sev[("fakes.py", "FAL301")] == Severity.INFO
    assert sev[("seeds_load.py", "FAL301")] == Severity.INFO
    assert sev[("app.py", "FAL301")] == Severity.INFO


def test_per_file_ignores_still_apply_to_tests(tmp_path):
    found = findings(tmp_path, {"tests/test_auth.py": 'JWT_SECRET = "Zq8Wm3Kx7Pn2Tv5Rb"\n'},
                     config={"per-file-ignores": {"tests/**": ["FAL3"]}})
    assert found == []


def test_settings_classes_are_followed_across_files(tmp_path):
    found = findings(tmp_path, {
        "app/core/base.py": """
            from pydantic_settings import BaseSettings

            class Root(BaseSettings):
                pass
        """,
        "app/core/middle.py": """
            from app.core.base import Root

            class Common(Root):
                api_token: str = "Zq8Wm3Kx7Pn2Tv5Rb"
        """,
        "app/core/envs.py": """
            from .middle import Common
            from app.models import Plain

            class Dev(Common):
                jwt_secret: str = "Xy7Wq2Lm9Kp4Rt8Vb"

            class NotSettings(Plain):
                jwt_secret: str = "Xy7Wq2Lm9Kp4Rt8Vb"
        """,
        "app/models.py": """
            class Plain:
                pass
        """,
    })
    got = sorted((f.path.split("/")[-1], f.line, f.rule) for f in found)
    assert got == [("envs.py", 6, "FAL302"), ("envs.py", 9, "FAL301"), ("middle.py", 5, "FAL302")]


def test_fallback_through_a_constant_holding_the_variable_name(tmp_path):
    found = findings(tmp_path, {"app/config.py": """
        import os

        SECRET_ENV = "JWT_SECRET"
        SIGNING = os.environ.get(SECRET_ENV, "Zq8Wm3Kx7Pn2Tv5Rb")
        PAGE = os.environ.get("PAGE_SIZE", "50")
    """})
    assert [(f.line, f.rule) for f in found] == [(5, "FAL302")]
    assert "JWT_SECRET" in found[0].message


def test_a_name_like_value_is_a_secret_once_it_is_used_as_one(tmp_path):
    found = findings(tmp_path, {"app/auth.py": """
        import jwt

        SECRET = "SECRET"
        KEY_NAME = "JWT_KEY"
        SIGNING = "hmac-key"

        def token(claims):
            return jwt.encode(claims, SIGNING, algorithm="HS256")

        def strategy(JWTStrategy):
            return JWTStrategy(secret=SECRET, lifetime_seconds=3600)
    """})
    assert sorted(f.line for f in found) == [4, 6]


def test_the_secret_is_masked_in_other_rules_code_frames(tmp_path):
    """A FAL401 finding on a line whose secret literal is suppressed still masks the literal."""
    write(tmp_path, {"app/svc.py": """
        import logging
        log = logging.getLogger(__name__)

        def call(token):
            log.info("%s", token, extra={"api_key": "Zq8Wm3Kx7Pn2Tv5Rb"})  # noqa: FAL301
    """})
    found = lint([tmp_path], config={})
    assert [f.rule for f in found] == ["FAL401"]
    (line, start, end), = found[0].masks
    source = (tmp_path / "app/svc.py").read_text().splitlines()[line - 1]
    assert source[start - 1 : end - 1] == '"Zq8Wm3Kx7Pn2Tv5Rb"'


@pytest.mark.parametrize("name,role", [
    ("JWT_SECRET", SIGNING), ("SESSION_SECRET_KEY", SIGNING), ("S3_FILES_DOWNLOAD_SECRET", SIGNING),
    ("SECRET_KEY", SIGNING), ("auth_secret", SIGNING), ("WEBHOOK_SECRET", SIGNING),
    ("POSTGRES_PASSWORD", OUTBOUND), ("MINIO_SECRET_KEY", OUTBOUND), ("GITHUB_CLIENT_SECRET", OUTBOUND),
    ("AUTH_DISCORD_CLIENT_SECRET", OUTBOUND), ("SMTP_PASSWORD", OUTBOUND), ("S3_SECRET_ACCESS_KEY", OUTBOUND),
    ("R2_ACCESS_KEY_SECRET_3", None),
    ("API_KEY", None), ("ROOT_TOKEN", None), ("FIRST_SUPERUSER_PASSWORD", None), ("ENCRYPTION_KEY", None),
])
def test_secret_roles(name, role):
    assert secret_role(name) == role


def test_fallback_severity_follows_what_the_secret_is_for(tmp_path):
    """Issue 10 item 10: a literal fallback of a secret that signs is an error (anyone can forge);
    a development default of a credential presented to another service is a warning; a
    random-looking value is a real credential wherever it goes."""
    found = findings(tmp_path, {
        "app/core/base.py": """
            from pydantic_settings import BaseSettings

            class Base(BaseSettings):
                pass
        """,
        "app/core/config.py": """
            import os
            from pydantic_settings import BaseSettings
            from app.core.base import Base

            JWT_SECRET = os.getenv("JWT_SECRET", "dev")
            POSTGRES_PASSWORD = os.getenv("POSTGRES_PASSWORD", "postgres")
            AWS_SECRET_ACCESS_KEY = os.getenv("AWS_SECRET_ACCESS_KEY", "q8Ls2VwX7nKp4RtZ9bYc")

            class Settings(BaseSettings):
                MINIO_SECRET_KEY: str = "minioadmin"
                SESSION_SECRET: str = "changethis"

            class Later(Base):
                REDIS_PASSWORD: str = "redis"
        """,
    }, rules=("FAL302",))
    sev = {f.line: f.severity for f in found}
    assert sev == {6: Severity.ERROR, 7: Severity.WARNING, 8: Severity.ERROR, 11: Severity.WARNING,
                   12: Severity.ERROR, 15: Severity.WARNING}, sev
    by_line = {f.line: f.message for f in found}
    assert "development default" in by_line[7] and "postgres" not in by_line[7]


def test_a_stand_in_password_for_another_service_is_no_known_password(tmp_path):
    """`MONGODB_PASSWORD: str = "dummy"`: no server is set up with a password that says it is a
    stand-in, so a deployment without it fails to connect. A signing key called so is still known."""
    found = findings(tmp_path, {
        "app/config.py": """
            import os
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                MONGODB_PASSWORD: str = "dummy"
                SMTP_PASSWORD: str = "fake-password"
                REDIS_PASSWORD: str = "redis"
                JWT_SECRET: str = "dummy"

            DB_PASSWORD = os.getenv("DB_PASSWORD", "dummy")
            SESSION_SECRET = os.getenv("SESSION_SECRET", "placeholder")
        """,
    }, rules=("FAL302",))
    assert sorted(f.line for f in found) == [8, 9, 12], [(f.line, f.message) for f in found]


def test_an_empty_signing_secret_refused_in_another_module(tmp_path):
    """The verifier answers 500 when the secret is empty: nobody verifies with an empty key. A
    secret refused nowhere stays reported, and a refusal in a test counts for nothing."""
    found = findings(tmp_path, {
        "app/config.py": """
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                STRIPE_WEBHOOK_SECRET: str = ""
                SESSION_SECRET_KEY: str = ""
                CSRF_SECRET: str = ""

            settings = Settings()
        """,
        "app/webhooks.py": """
            from fastapi import HTTPException
            from app.config import settings

            def verify(payload, signature):
                if not settings.STRIPE_WEBHOOK_SECRET:
                    raise HTTPException(status_code=500, detail="webhook secret not configured")
                return payload
        """,
        "tests/test_config.py": """
            from app.config import settings

            def test_csrf():
                if not settings.CSRF_SECRET:
                    raise AssertionError("unset")
        """,
    }, rules=("FAL302",))
    assert sorted(f.line for f in found) == [6, 7], [(f.line, f.message) for f in found]


def test_empty_defaults_of_signing_secrets(tmp_path):
    found = findings(tmp_path, {
        "app/settings.py": """
            import os
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                session_secret_key: str = ""
                auth_secret: bytes = b""
                smtp_password: str = ""
                openai_api_key: str = ""
                SECRET_KEY: str = ""

            JWT_SECRET = os.getenv("JWT_SECRET", "")
            CSRF_SECRET = os.environ.get("CSRF_SECRET", "")

            def check():
                if not CSRF_SECRET:
                    raise SystemExit("CSRF_SECRET is required")
        """,
    }, rules=("FAL302",))
    assert sorted(f.line for f in found) == [6, 7, 12]
    assert all("empty" in f.message for f in found)


def test_development_data_gets_the_test_severity(tmp_path):
    """Passwords of sample users in development functions and of throw-away accounts a QA script
    creates are test data (info); a script's login to an existing account and application code that
    creates an account in every environment stay errors."""
    found = findings(tmp_path, {
        "scripts/qa_users.py": """
            import uuid

            ADMIN_PASS = "w7vXk2Lm9Qp4"

            def _create_user(client):
                pwd = "QaLogin123!"
                client.post("/users", json={"username": f"qa_{uuid.uuid4().hex[:6]}", "password": pwd})

            def run(client):
                member = f"qa_member_{uuid.uuid4().hex[:4]}"
                member_password = "Member123!"
                client.post("/users", json={"username": member, "password": member_password})

            def connect(client):
                client.post("/connections", json={"user": "reporting", "password": "rP9#kQ2w"})
        """,
        "app/cli/database.py": """
            def seed_database(create_user):
                create_user(email="demo@example.com", password="Demo123!@#")

            def create_test_user(create_user):
                create_user(email="e2e@example.com", password="Test123!")

            def create_admin(create_user):
                create_user(email="admin@example.com", password="Admin123!")
        """,
    }, rules=("FAL301",))
    sev = {(f.path.split("/")[-1], f.line): f.severity for f in found}
    assert sev == {("qa_users.py", 4): Severity.ERROR, ("qa_users.py", 7): Severity.INFO,
                   ("qa_users.py", 12): Severity.INFO, ("qa_users.py", 16): Severity.ERROR,
                   ("database.py", 3): Severity.INFO, ("database.py", 6): Severity.INFO,
                   ("database.py", 9): Severity.ERROR}, sev
