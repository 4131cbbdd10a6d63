"""The JWT-verification rules (FAL501–FAL505) on small, focused snippets: how the library is
recognised, how values are followed, what each rule reports and, as much, what it must not."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from conftest import lint
from fastauthlint.config import ConfigError, parse_table
from fastauthlint.findings import Severity


def run(tmp_path: Path, source: str, name: str = "app/auth.py", config: Optional[dict] = None,
        extra: Optional[Dict[str, str]] = None):
    files = {name: source, **(extra or {})}
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    found = lint([tmp_path], config=config or {})
    assert not [f for f in found if f.rule == "FAL000"], [f.message for f in found]
    return [f for f in found if f.rule.startswith("FAL5")]


def rules(findings) -> List[str]:
    return sorted(f.rule for f in findings)


# -- knowing the library from the imports ------------------------------------------------------

IMPORT_FORMS = [
    ("import jwt", "jwt.decode", "jwt.decode"),
    ("import jwt as pyjwt", "pyjwt.decode", "jwt.decode"),
    ("from jwt import decode", "decode", "jwt.decode"),
    ("from jwt import decode as jwt_decode", "jwt_decode", "jwt.decode"),
    ("import jwt.api_jwt", "jwt.api_jwt.decode", "jwt.api_jwt.decode"),
    ("from jose import jwt", "jwt.decode", "jose.jwt.decode"),
    ("import jose.jwt", "jose.jwt.decode", "jose.jwt.decode"),
    ("from jose.jwt import decode", "decode", "jose.jwt.decode"),
    ("from jose import jwt as jose_jwt", "jose_jwt.decode", "jose.jwt.decode"),
]


@pytest.mark.parametrize("imp,call,display", IMPORT_FORMS, ids=[f[0] for f in IMPORT_FORMS])
def test_library_is_known_from_the_imports(tmp_path, imp, call, display):
    found = run(tmp_path, f"""
        {imp}

        def verify(token, key):
            return {call}(token, key, algorithms=["HS256"], options={{"verify_exp": False}})
        """)
    assert rules(found) == ["FAL501"]
    assert f"`{display}`" in found[0].message
    assert "spec §4.5" in found[0].message


def test_function_local_import(tmp_path):
    found = run(tmp_path, """
        def verify(token, key):
            from jose import jwt
            return jwt.decode(token, key)
        """)
    assert rules(found) == ["FAL503"]
    assert "`jose.jwt.decode`" in found[0].message


@pytest.mark.parametrize("source", [
    # No JWT library imported: a variable or helper called jwt is not PyJWT.
    """
    class Jwt:
        def decode(self, token, options=None):
            return {}

    def verify(token):
        jwt = Jwt()
        return jwt.decode(token, options={"verify_signature": False})["sub"]
    """,
    # The module imports PyJWT, but this function's `jwt` is a parameter.
    """
    import jwt

    def verify(jwt, token):
        return jwt.decode(token, options={"verify_signature": False})["sub"]
    """,
    # A local variable shadows the import.
    """
    import jwt

    def verify(token, codec):
        jwt = codec
        claims = jwt.decode(token, options={"verify_signature": False})
        return claims["sub"]
    """,
    # Only mentioned in strings and comments.
    """
    import jwt

    # jwt.decode(token, options={"verify_signature": False}) would be wrong
    EXAMPLE = 'jwt.decode(token, options={"verify_exp": False}, algorithms=["none"])'
    DOC = "jwt.encode({'sub': 1}, key, algorithm='none')"
    """,
    # bytes.decode on a token is not a JWT decode.
    """
    import jwt

    def as_text(token: bytes) -> str:
        return token.decode("utf-8")
    """,
], ids=["helper-called-jwt", "parameter-called-jwt", "local-shadows-import", "strings-and-comments",
        "bytes-decode"])
def test_not_the_library(tmp_path, source):
    assert run(tmp_path, source) == []


def test_instances(tmp_path):
    found = run(tmp_path, """
        import jwt
        from authlib.jose import JsonWebToken

        decoder = jwt.PyJWT(options={"verify_iat": False})
        mixed = JsonWebToken(["HS256", "ES256"])

        def a(token, key):
            return decoder.decode(token, key, algorithms=["HS256"])

        def b(token, key):
            return jwt.PyJWT().decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
        """)
    assert [(f.line, f.rule) for f in found] == [(5, "FAL504"), (6, "FAL503"), (12, "FAL501")]
    assert "`jwt.PyJWT.decode`" in found[2].message


# -- following values --------------------------------------------------------------------------

OPTION_SOURCES = {
    "literal": """
        def verify(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": False})
        """,
    "module-constant": """
        OPTIONS = {"verify_aud": False}

        def verify(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options=OPTIONS)
        """,
    "local-variable": """
        def verify(token, key):
            opts = {"verify_signature": True, "verify_aud": False}
            return jwt.decode(token, key, algorithms=["HS256"], options=opts)
        """,
    "flag-constant": """
        VERIFY_AUDIENCE = False

        def verify(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": VERIFY_AUDIENCE})
        """,
    "dict-call-and-mutation": """
        BASE = dict(require=["exp"])

        def verify(token, key):
            opts = BASE.copy()
            opts["verify_aud"] = False
            return jwt.decode(token, key, algorithms=["HS256"], options=opts)
        """,
    "update": """
        def verify(token, key):
            opts = {}
            opts.update({"verify_aud": False})
            return jwt.decode(token, key, algorithms=["HS256"], options=opts)
        """,
    "splat": """
        BASE = {"verify_aud": False}

        def verify(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options={**BASE, "require": ["exp"]})
        """,
    "on-some-path": """
        def verify(token, key, audience=None):
            opts = {}
            if audience is None:
                opts["verify_aud"] = False
            return jwt.decode(token, key, algorithms=["HS256"], audience=audience, options=opts)
        """,
}


@pytest.mark.parametrize("name", sorted(OPTION_SOURCES))
def test_options_are_followed(tmp_path, name):
    found = run(tmp_path, "import jwt\n" + textwrap.dedent(OPTION_SOURCES[name]))
    assert rules(found) == ["FAL504"]
    assert "`verify_aud`" in found[0].message


@pytest.mark.parametrize("source", [
    # overridden unconditionally before the call
    """
    def verify(token, key):
        opts = {"verify_aud": False}
        opts["verify_aud"] = True
        return jwt.decode(token, key, algorithms=["HS256"], options=opts)
    """,
    # set after the call
    """
    def verify(token, key):
        opts = {}
        claims = jwt.decode(token, key, algorithms=["HS256"], options=opts)
        opts["verify_aud"] = False
        return claims
    """,
    # the other branch of an if
    """
    def verify(token, key, legacy):
        if legacy:
            opts = {"verify_aud": False}
            return opts
        else:
            opts = {}
            return jwt.decode(token, key, algorithms=["HS256"], options=opts)
    """,
    # values the code does not show
    """
    def verify(token, key, settings, **kwargs):
        jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": settings.VERIFY_AUD})
        jwt.decode(token, key, options=settings.JWT_OPTIONS, algorithms=settings.ALGORITHMS)
        return jwt.decode(token, key, **kwargs)
    """,
    # changed by code we cannot see before the call
    """
    def verify(token, key, tweak):
        opts = {"verify_aud": True}
        tweak(opts)
        return jwt.decode(token, key, algorithms=["HS256"], options=opts)
    """,
], ids=["overridden", "set-after-call", "other-branch", "unseen-values", "verify-true-then-unknown"])
def test_options_not_reported(tmp_path, source):
    assert run(tmp_path, "import jwt\n" + textwrap.dedent(source)) == []


# -- FAL501 ------------------------------------------------------------------------------------

def test_fal501_require_without_exp(tmp_path):
    found = run(tmp_path, """
        import jwt

        def a(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options={"require": ["sub"]})

        def b(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub"]})

        def c(token, key, extra):
            return jwt.decode(token, key, algorithms=["HS256"], options={"require": [extra, "sub"]})
        """)
    assert [(f.line, f.rule) for f in found] == [(5, "FAL501")]
    assert '"sub"' in found[0].message and "exp" in found[0].message


def test_fal501_manual_expiry_check_is_fine(tmp_path):
    assert run(tmp_path, """
        import time
        import jwt

        def decode_refresh(token, key):
            claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
            if claims.get("exp", 0) + 3600 < time.time():
                raise ValueError("refresh window over")
            return claims
        """) == []


def test_fal501_expiry_checked_by_hand_before_the_decode(tmp_path):
    """`exp` read from an unverified decode of the same token and checked first: the decode that
    verifies the signature may skip it. Another token's `exp` checks nothing about this one."""
    found = run(tmp_path, """
        import time
        from jose import jwt

        def verify(token, key):
            unverified = jwt.decode(token, key, options={"verify_signature": False, "verify_exp": False})
            if time.time() > unverified["exp"] + 30:
                raise jwt.ExpiredSignatureError("expired")
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})

        def verify_other(token, refresh, key):
            unverified = jwt.decode(refresh, key, options={"verify_signature": False, "verify_exp": False})
            if time.time() > unverified["exp"]:
                raise jwt.ExpiredSignatureError("expired")
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
        """)
    assert [(f.line, f.rule) for f in found if f.rule == "FAL501"] == [(15, "FAL501")]


def test_fal501_authlib_claims_must_be_validated(tmp_path):
    found = run(tmp_path, """
        from authlib.jose import JsonWebToken

        hs256 = JsonWebToken(["HS256"])

        def user_id(token, key):
            claims = hs256.decode(token, key)
            return claims["sub"]

        def user_id_validated(token, key):
            claims = hs256.decode(token, key)
            claims.validate()
            return claims["sub"]

        def user_id_validated_by_helper(token, key):
            claims = hs256.decode(token, key)
            validate_claims(claims)
            return claims["sub"]

        def claims_for_caller(token, key):
            return hs256.decode(token, key)
        """)
    assert [(f.line, f.rule) for f in found] == [(7, "FAL501")]
    assert "claims.validate()" in found[0].message


# -- FAL502 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("use,detail", [
    ('return claims["sub"]', "`sub` is read"),
    ('return get_user(claims.get("email"))', "`email` is read"),
    ("return claims", "they are returned"),
    ("return User(**claims)", "spread into `User"),
    ("request.state.user = claims", "stored in `request.state.user`"),
    ('roles = claims["https://example.com/roles"]', "roles"),
    ("user = await get_user_from_payload(db, claims)", "passed to `get_user_from_payload(...)`"),
])
def test_fal502_unverified_claims_that_decide_identity(tmp_path, use, detail):
    found = run(tmp_path, f"""
        import jwt

        async def current_user(request, token, db):
            claims = jwt.decode(token, options={{"verify_signature": False}})
            {use}
        """)
    assert rules(found) == ["FAL502"]
    assert detail in found[0].message
    assert "(line 6)" in found[0].message


@pytest.mark.parametrize("source", [
    # header to pick the key
    """
    def verify(token, keys):
        kid = jwt.get_unverified_header(token)["kid"]
        return jwt.decode(token, keys[kid], algorithms=["RS256"], audience="api")
    """,
    # issuer to pick the key, then verified
    """
    def verify(token, keys):
        unverified = jwt.decode(token, options={"verify_signature": False})
        return jwt.decode(token, keys[unverified["iss"]], algorithms=["RS256"], audience="api")
    """,
    # subject picks a per-user key, then verified
    """
    def verify(token, keys):
        unverified = jwt.decode(token, options={"verify_signature": False})
        key = keys[unverified["sub"]]
        jwt.decode(token, key, algorithms=["HS256"])
        return unverified["sub"]
    """,
    # only the expiry
    """
    def expires_at(token):
        return jwt.decode(token, options={"verify_signature": False})["exp"]
    """,
    # a consistency check
    """
    def check(token, expected):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["sub"] == expected
        return claims.get("exp")
    """,
    # a helper that says what it returns
    """
    def peek_claims(token):
        return jwt.decode(token, options={"verify_signature": False})

    def claims_for_display(token):
        '''Decode without verification, for the admin screen.'''
        return jwt.decode(token, options={"verify_signature": False})
    """,
    # signature verified with the key itself first (AWS Cognito sample style)
    """
    def verify(token, public_key, message, signature):
        if not public_key.verify(message, signature):
            raise ValueError("bad signature")
        claims = jwt.decode(token, options={"verify_signature": False})
        return claims["sub"]
    """,
], ids=["header-kid", "iss-then-verify", "sub-selects-key", "exp-only", "assert", "named-helpers",
        "key-verify"])
def test_fal502_unverified_reads_that_are_fine(tmp_path, source):
    assert run(tmp_path, "import jwt\n" + textwrap.dedent(source)) == []


def test_fal502_fallback_branch_is_not_saved_by_the_verified_one(tmp_path):
    found = run(tmp_path, """
        import jwt

        def user_id(token, key):
            try:
                claims = jwt.decode(token, key, algorithms=["HS256"])
            except jwt.InvalidTokenError:
                claims = jwt.decode(token, options={"verify_signature": False})
            return claims["sub"]
        """)
    assert [(f.line, f.rule) for f in found] == [(8, "FAL502")]


def test_fal502_id_token_from_the_token_endpoint(tmp_path):
    assert run(tmp_path, """
        import httpx
        from jose import jwt

        def sign_in(code):
            resp = httpx.post("https://idp.example.com/token", data={"code": code})
            tokens = resp.json()
            identity = jwt.get_unverified_claims(tokens["id_token"])
            return identity["email"]
        """) == []
    found = run(tmp_path / "b", """
        from jose import jwt

        async def sign_in(request):
            body = await request.json()
            identity = jwt.get_unverified_claims(body["id_token"])
            return identity["email"]
        """)
    assert rules(found) == ["FAL502"]


def test_fal502_legacy_verify_false_and_keys(tmp_path):
    found = run(tmp_path, """
        import jwt

        def a(token):
            return jwt.decode(token, verify=False)

        def b(token, key):
            return jwt.decode(token, key, False)["sub"]

        def c(token):
            return jwt.decode(token, None, algorithms=["HS256"])

        def d(token):
            return jwt.decode(token, algorithms=["HS256"])

        def e(token, key):
            return jwt.decode(token, key, ["HS256"])
        """)
    assert [(f.line, f.rule) for f in found] == [(5, "FAL502"), (8, "FAL502"), (11, "FAL502"), (14, "FAL502")]
    assert "PyJWT 1.x" in found[0].message
    assert "`None`" in found[2].message
    assert "no key" in found[3].message


def test_fal502_and_fal501_both_explicit(tmp_path):
    found = run(tmp_path, """
        import jwt

        def current_user(token):
            claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
            return claims["sub"]

        def debug(token, log):
            claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
            log.info("iss=%s", claims.get("iss"))
        """)
    assert [(f.line, f.rule) for f in found] == [(5, "FAL501"), (5, "FAL502")]


# -- FAL503 ------------------------------------------------------------------------------------

def test_fal503(tmp_path):
    found = run(tmp_path, """
        import jwt
        from jose import jwt as jose_jwt

        ALGORITHM = "HS256"
        PUBLIC = ["RS256", "ES256"]

        def pinned(token, key):
            jwt.decode(token, key, algorithms=[ALGORITHM])
            jwt.decode(token, key, algorithms=PUBLIC)
            jose_jwt.decode(token, key, algorithms="HS256")
            return jwt.decode(token, key, algorithms=[ALGORITHM], options={"verify_signature": True})

        def bad(token, key):
            jwt.decode(token, key, algorithms=["HS256", "none"])
            jwt.decode(token, key, algorithms=["HS512", *PUBLIC])
            jwt.decode(token, key, algorithms=[ALGORITHM, "PS256"])
            jose_jwt.decode(token, key, algorithms=None)
            jwt.encode({"exp": 1}, None, algorithm=None)
            jwt.encode({"exp": 1}, key, algorithm="HS256", headers={"alg": "none"})
            return jose_jwt.encode({"exp": 1}, key, algorithm="NONE")
        """)
    assert [(f.line, f.rule) for f in found] == [(15, "FAL503"), (17, "FAL503"), (18, "FAL503"),
                                                 (19, "FAL503"), (20, "FAL503"), (21, "FAL503")]
    assert "`none`" in found[0].message
    assert "HS256" in found[1].message and "PS256" in found[1].message
    assert "algorithms=None" in found[2].message


def test_fal503_not_for_unverified_decodes(tmp_path):
    # Nothing is verified there: no algorithm list to pin (FAL502 judges what the claims do).
    assert run(tmp_path, """
        import jwt

        def exp_of(token):
            return jwt.decode(token, options={"verify_signature": False})["exp"]
        """) == []


# -- FAL504 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("leeway,reported", [
    ("30", False), ("60", False), ("61", True), ("timedelta(seconds=60)", False),
    ("timedelta(minutes=2)", True), ("LEEWAY", True), ("2 * 60", True), ("settings.JWT_LEEWAY", False),
])
def test_fal504_pyjwt_leeway(tmp_path, leeway, reported):
    found = run(tmp_path, f"""
        from datetime import timedelta
        import jwt

        LEEWAY = 300

        def verify(token, key, settings):
            return jwt.decode(token, key, algorithms=["HS256"], leeway={leeway})
        """)
    assert rules(found) == (["FAL504"] if reported else [])
    if reported:
        assert found[0].severity == Severity.WARNING
        assert "max-jwt-leeway" in found[0].message


def test_fal504_leeway_option_is_configurable(tmp_path):
    source = """
        from jose import jwt

        def verify(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options={"leeway": 120})
        """
    assert rules(run(tmp_path / "a", source)) == ["FAL504"]
    assert rules(run(tmp_path / "b", source, config={"max-jwt-leeway": 120})) == []


def test_fal504_manual_audience_check_is_fine(tmp_path):
    found = run(tmp_path, """
        import jwt

        def verify(token, key, allowed):
            claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": False, "verify_iss": False})
            if claims.get("aud") not in allowed:
                raise ValueError("audience")
            return claims
        """)
    assert rules(found) == ["FAL504"]
    assert "`verify_iss`" in found[0].message and "`verify_aud`" not in found[0].message


# -- FAL505 ------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,reported", [
    ('payload = {"sub": user_id}', True),
    ('payload = dict(sub=user_id)', True),
    ('payload = {"sub": user_id}\npayload["exp"] = now() + timedelta(minutes=15)', False),
    ('payload = {"sub": user_id}\npayload.update({"exp": now() + timedelta(minutes=15)})', False),
    ('payload = {"sub": user_id}\npayload.update(exp=now() + timedelta(minutes=15))', False),
    ('payload = {**BASE, "sub": user_id}', False),
    ('payload = {**CLAIMS, "sub": user_id}', True),
    ('payload = dict(sub=user_id, exp=now() + timedelta(minutes=15))', False),
    ('payload = {"sub": user_id}\nadd_expiry(payload)', False),
    ('payload = {"sub": user_id, "exp": None}\ndel payload["exp"]', True),
    ('payload = {"sub": user_id, "exp": None}\npayload.pop("exp")', True),
    ('payload = extra', False),
    ('payload = extra.model_dump()', False),
])
def test_fal505_payload_without_exp(tmp_path, body, reported):
    source = textwrap.dedent("""
        from datetime import datetime, timedelta
        import jwt

        now = datetime.utcnow
        BASE = {"iss": "backend", "exp": now() + timedelta(minutes=5)}
        CLAIMS = {"iss": "backend"}

        def issue(user_id, extra, ttl=None):
        """) + textwrap.indent(body, "    ") + '\n    return jwt.encode(payload, "k", algorithm="HS256")\n'
    found = run(tmp_path, source)
    assert rules(found) == (["FAL505"] if reported else [])


@pytest.mark.parametrize("body,path", [
    ('payload = {"sub": user_id}\nif ttl:\n    payload["exp"] = now() + timedelta(seconds=ttl)', "when `ttl` is false"),
    ('payload = {"sub": user_id}\nif not remember:\n    payload.update({"exp": now() + timedelta(hours=1)})',
     "when `remember` is true"),
    ('payload = {"sub": user_id}\nif ttl is None:\n    pass\nelse:\n    payload["exp"] = now() + timedelta(seconds=ttl)',
     "when `ttl is None` is true"),
])
def test_fal505_exp_on_one_path_only(tmp_path, body, path):
    """`exp` set on one branch only: the finding says which path issues a token without it."""
    source = textwrap.dedent("""
        from datetime import datetime, timedelta
        import jwt

        now = datetime.utcnow

        def issue(user_id, ttl=None, remember=False):
        """) + textwrap.indent(body, "    ") + '\n    return jwt.encode(payload, "k", algorithm="HS256")\n'
    found = run(tmp_path, source)
    assert rules(found) == ["FAL505"] and found[0].severity == Severity.WARNING
    assert path in found[0].message, found[0].message


@pytest.mark.parametrize("body,reported", [
    # to_encode = data.copy(); to_encode.update({"exp": ...}): the lifetime is judged
    ('to_encode = data.copy()\nto_encode.update({"exp": datetime.utcnow() + timedelta(days=30)})', True),
    ('to_encode = dict(data)\nto_encode["exp"] = now() + timedelta(minutes=30)', False),
    ('data["exp"] = datetime.utcnow() + timedelta(days=30)\nto_encode = data', True),
    # a payload made by a helper of the module
    ('to_encode = make_claims(data)', "no exp"),
    ('to_encode = make_claims_with_exp(data)', True),
    # a pydantic model of the module, dumped
    ('to_encode = Claims(sub=data["sub"]).model_dump()', "no exp"),
    ('to_encode = Claims(sub=data["sub"]).dict()', "no exp"),
    ('to_encode = ExpiringClaims(sub=data["sub"], exp=now() + timedelta(minutes=5)).model_dump()', False),
    ('to_encode = Claims(**data).model_dump()', False),
    ('to_encode = Claims(sub="x").model_dump(exclude={"sub"})', False),
])
def test_fal505_payload_assembled(tmp_path, body, reported):
    source = textwrap.dedent("""
        from datetime import datetime, timedelta
        import jwt
        from pydantic import BaseModel

        now = datetime.utcnow

        class Claims(BaseModel):
            sub: str
            iss: str = "backend"

        class ExpiringClaims(Claims):
            exp: datetime

        def make_claims(data):
            return {"sub": data["sub"], "iss": "backend"}

        def make_claims_with_exp(data):
            claims = {"sub": data["sub"]}
            claims["exp"] = datetime.utcnow() + timedelta(days=60)
            return claims

        def create_access_token(data: dict):
        """) + textwrap.indent(body, "    ") + '\n    return jwt.encode(to_encode, "k", algorithm="HS256")\n'
    found = run(tmp_path, source)
    assert rules(found) == (["FAL505"] if reported else [])
    if reported == "no exp":
        assert "has no `exp`" in found[0].message
    elif reported:
        assert "lives" in found[0].message and found[0].severity == Severity.WARNING


@pytest.mark.parametrize("exp,reported", [
    ("datetime.now(timezone.utc) + timedelta(hours=24)", False),
    ("datetime.now(timezone.utc) + timedelta(hours=25)", True),
    ("datetime.utcnow() + timedelta(days=7)", True),
    ("int(time.time()) + 60 * 60 * 24 * 30", True),
    ("int(time.time()) + 3600", False),
    ("(datetime.now(timezone.utc) + timedelta(weeks=2)).timestamp()", True),
    ("calendar.timegm((datetime.utcnow() + timedelta(days=2)).utctimetuple())", True),
    ("datetime.now(timezone.utc) + timedelta(minutes=EXPIRE_MINUTES)", True),
    ("datetime.now(timezone.utc) + timedelta(minutes=settings.EXPIRE_MINUTES)", False),
    ("datetime.now(timezone.utc) + lifetime", False),
])
def test_fal505_lifetime(tmp_path, exp, reported):
    found = run(tmp_path, f"""
        import calendar
        import time
        from datetime import datetime, timedelta, timezone

        from jose import jwt

        EXPIRE_MINUTES = 60 * 24 * 3

        def create_access_token(user_id, settings, lifetime):
            return jwt.encode({{"sub": user_id, "exp": {exp}}}, "k", algorithm="HS256")
        """)
    assert rules(found) == (["FAL505"] if reported else [])
    if reported:
        assert found[0].severity == Severity.WARNING
        assert "`jose.jwt.encode`" in found[0].message and "spec §2.3" in found[0].message


@pytest.mark.parametrize("source", [
    """
    def create_refresh_token(user_id):
        return jwt.encode({"sub": user_id, "exp": datetime.utcnow() + timedelta(days=30)}, "k", algorithm="HS256")
    """,
    """
    def issue(user_id):
        refresh_token = jwt.encode({"sub": user_id, "exp": datetime.utcnow() + timedelta(days=30)}, "k")
        return refresh_token
    """,
    """
    def issue(user_id):
        claims = {"sub": user_id, "token_type": "refresh", "exp": datetime.utcnow() + timedelta(days=30)}
        return jwt.encode(claims, "k", algorithm="HS256")
    """,
    """
    def issue(user_id):
        expire = datetime.utcnow() + timedelta(days=REFRESH_TOKEN_EXPIRE_DAYS)
        return jwt.encode({"sub": user_id, "exp": expire}, "k", algorithm="HS256")
    """,
    """
    def generate_password_reset_token(email):
        return jwt.encode({"sub": email, "exp": datetime.utcnow() + timedelta(hours=48)}, "k", algorithm="HS256")
    """,
], ids=["function-name", "target-variable", "type-claim", "duration-name", "reset-token"])
def test_fal505_long_lived_tokens_that_are_not_access_tokens(tmp_path, source):
    assert run(tmp_path, textwrap.dedent("""
        from datetime import datetime, timedelta
        import jwt

        REFRESH_TOKEN_EXPIRE_DAYS = 30
        """) + textwrap.dedent(source)) == []


READERS = """
from app.config import ACCESS_TOKEN_EXPIRE_MINUTES, EXPIRE_MINUTES, JWT_EXPIRATION_HOURS, Settings

settings = Settings()
LIFETIMES = (settings.access_token_expire_minutes, settings.ACCESS_TOKEN_LIFETIME,
             getattr(settings, "ACCESS_TOKEN_EXPIRE_SECONDS"))
"""


def test_fal505_configured_access_token_lifetime(tmp_path):
    found = run(tmp_path, """
        import os
        from datetime import timedelta

        from pydantic import Field
        from pydantic_settings import BaseSettings

        ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 8
        REFRESH_TOKEN_EXPIRE_MINUTES = 60 * 24 * 30
        JWT_EXPIRATION_HOURS = int(os.getenv("JWT_EXPIRATION_HOURS", "72"))
        EXPIRE_MINUTES = 60 * 24 * 8


        class Settings(BaseSettings):
            access_token_expire_minutes: int = Field(default=60 * 24 * 30)
            ACCESS_TOKEN_LIFETIME: timedelta = timedelta(days=2)
            ACCESS_TOKEN_EXPIRE_SECONDS: int = 3600
            ACCESS_TOKEN_EXPIRE_MINUTES_FROM_ENV: int = int(os.environ["X"])


        def configure():
            ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 365
            return ACCESS_TOKEN_EXPIRE_MINUTES
        """, name="app/config.py", extra={"app/tokens.py": READERS})
    assert [(f.line, f.rule) for f in found] == [(8, "FAL505"), (10, "FAL505"), (15, "FAL505"), (16, "FAL505")]
    assert all(f.severity == Severity.WARNING for f in found)
    assert "8 days" in found[0].message and "`ACCESS_TOKEN_EXPIRE_MINUTES`" in found[0].message


def test_fal505_lifetime_option_is_configurable(tmp_path):
    source = """
        ACCESS_TOKEN_EXPIRE_HOURS = 48
        """
    reader = {"tokens.py": "from config import ACCESS_TOKEN_EXPIRE_HOURS\n"}
    assert rules(run(tmp_path / "a", source, name="config.py", extra=reader)) == ["FAL505"]
    assert rules(run(tmp_path / "b", source, name="config.py", extra=reader,
                     config={"max-access-token-lifetime": 48 * 3600})) == []


def test_fal505_a_lifetime_setting_nothing_reads_sets_no_lifetime(tmp_path):
    """A settings attribute no code of the project reads (no attribute, name or string names it):
    the project issues no token with it."""
    source = """
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            ACCESS_TOKEN_EXPIRE_MINUTES: int = 60 * 24 * 8
        """
    assert rules(run(tmp_path / "alone", source, name="config.py")) == []
    reader = {"tokens.py": "from config import Settings\nTTL = Settings().ACCESS_TOKEN_EXPIRE_MINUTES\n"}
    assert rules(run(tmp_path / "read", source, name="config.py", extra=reader)) == ["FAL505"]


def test_fal505_a_lifetime_constant_nothing_reads_sets_no_lifetime(tmp_path):
    source = """
        ACCESS_TOKEN_EXPIRE_HOURS = 48
        """
    assert rules(run(tmp_path / "alone", source, name="config.py")) == []
    assert rules(run(tmp_path / "module", source, name="config.py", extra={"main.py": "import config\n"})) == ["FAL505"]
    assert rules(run(tmp_path / "star", source, name="config.py", extra={"main.py": "from config import *\n"})) == ["FAL505"]


@pytest.mark.parametrize("key,value", [("max-jwt-leeway", -1), ("max-access-token-lifetime", 0),
                                       ("max-jwt-leeway", "60")])
def test_option_values_are_validated(tmp_path, key, value):
    with pytest.raises(ConfigError, match=key):
        parse_table({key: value}, root=tmp_path)


# -- scope -------------------------------------------------------------------------------------

BAD = """
    import jwt

    def forge(user_id):
        token = jwt.encode({"sub": user_id}, None, algorithm="none")
        claims = jwt.decode(token, options={"verify_signature": False})
        return claims["sub"]
    """


@pytest.mark.parametrize("name", ["tests/test_auth.py", "test_auth.py", "app/tests/helpers.py",
                                  "conftest.py", "auth_test.py"])
def test_test_code_is_not_checked(tmp_path, name):
    assert run(tmp_path, BAD, name=name) == []
    assert rules(run(tmp_path / "app", BAD, name="app/auth.py")) == ["FAL502", "FAL503", "FAL505"]


def test_messages_never_carry_the_secret(tmp_path):
    secret = "s3cr3t-value-that-must-not-leak-0123456789"
    found = run(tmp_path, f"""
        import jwt

        def issue(user_id):
            return jwt.encode({{"sub": user_id}}, "{secret}", algorithm="none")

        def verify(token):
            return jwt.decode(token, "{secret}", options={{"verify_exp": False}})
        """)
    assert rules(found) == ["FAL501", "FAL503", "FAL503", "FAL505"]
    assert all(secret not in f.message for f in found)


def test_module_level_code(tmp_path):
    found = run(tmp_path, """
        import sys
        import jwt

        OPTIONS = {"verify_signature": False}
        claims = jwt.decode(sys.argv[1], options=OPTIONS)
        OWNER = claims["email"]
        """, name="scripts/whoami.py")
    assert rules(found) == ["FAL502"]


def test_fal502_token_the_object_holds(tmp_path):
    # An API client reading the token it obtained is not a request's token; a view's request is.
    found = run(tmp_path, """
        import jwt

        class Client:
            def user_id(self):
                claims = jwt.decode(self.token["id_token"], options={"verify_signature": False})
                return claims["user_id"]

        class View:
            def get(self):
                claims = jwt.decode(self.request.headers["authorization"], options={"verify_signature": False})
                return claims["sub"]
        """)
    assert [(f.line, f.rule) for f in found] == [(11, "FAL502")]


def test_fal501_revoking_an_expired_token_is_fine(tmp_path):
    found = run(tmp_path, """
        import jwt

        def logout(token, key, store):
            claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
            store.add(claims["jti"])

        def end_session(token, key, store):
            claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
            revoke_token(claims.get("jti"), store)

        def current_user(token, key, store):
            claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
            if is_blacklisted(claims["jti"], store):
                raise PermissionError
            return claims["sub"]
        """)
    assert [(f.line, f.rule) for f in found] == [(13, "FAL501")]


def test_parameter_defaults_are_possible_values(tmp_path):
    found = run(tmp_path, """
        import jwt

        def decode(token, key, verify_aud=False):
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": verify_aud})

        def decode_strict(token, key, verify_aud=True):
            return jwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": verify_aud})
        """)
    assert [(f.line, f.rule) for f in found] == [(5, "FAL504")]
    assert "another audience" in found[0].message


def test_fal505_fastapi_users_strategy(tmp_path):
    found = run(tmp_path, """
        import os

        from fastapi_users.authentication import JWTStrategy

        SECRET = os.environ["SECRET"]
        LIFETIME = 60 * 60 * 24 * 30

        def get_jwt_strategy() -> JWTStrategy:
            return JWTStrategy(secret=SECRET, lifetime_seconds=3600)

        def get_forever_strategy() -> JWTStrategy:
            return JWTStrategy(SECRET, None)

        def get_monthly_strategy() -> JWTStrategy:
            return JWTStrategy(secret=SECRET, lifetime_seconds=LIFETIME)
        """)
    assert [(f.line, f.rule, f.severity) for f in found] == [
        (13, "FAL505", Severity.ERROR), (16, "FAL505", Severity.WARNING)]
    assert "never expire" in found[0].message


def test_fal505_far_future_fixed_expiry(tmp_path):
    found = run(tmp_path, """
        import jwt

        NEVER = 9999999999

        def issue(user_id, key):
            jwt.encode({"sub": user_id, "exp": 1767225600}, key, algorithm="HS256")
            return jwt.encode({"sub": user_id, "exp": NEVER}, key, algorithm="HS256")
        """)
    assert [(f.line, f.rule) for f in found] == [(8, "FAL505")]
    assert "2100" in found[0].message


def test_values_imported_from_another_module(tmp_path):
    found = run(tmp_path, """
        import jwt

        from . import config
        from .config import ALGORITHMS, PEEK, STRICT
        from app.settings import OPTIONS as SHARED_OPTIONS
        from somewhere_else import OPTIONS as THIRD_PARTY

        def a(token, key):
            return jwt.decode(token, key, algorithms=ALGORITHMS, options=SHARED_OPTIONS)

        def b(token):
            claims = jwt.decode(token, options=PEEK)
            return claims["sub"]

        def c(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options=STRICT)

        def d(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options=THIRD_PARTY)

        def e(token):
            claims = jwt.decode(token, options=PEEK)
            return claims["iss"]
        """, name="app/auth/deps.py", extra={
        "app/__init__.py": "",
        "app/auth/__init__.py": "",
        "app/auth/config.py": """
            ALGORITHMS = ["HS256", "RS512"]
            PEEK = {"verify_signature": False, "verify_exp": False}
            STRICT = {"require": ["exp", "sub"], "verify_aud": True}
            """,
        "app/settings/__init__.py": "from app.settings.base import *\n",
        "app/settings/base.py": """
            OPTIONS = dict(verify_exp=False, verify_iss=False, require=["sub"])
            """,
    })
    assert [(f.path.rsplit("/", 1)[-1], f.line, f.rule) for f in found] == [
        ("deps.py", 10, "FAL501"), ("deps.py", 10, "FAL503"), ("deps.py", 10, "FAL504"),
        ("deps.py", 13, "FAL501"), ("deps.py", 13, "FAL502")]
    fal501 = found[0].message
    assert "`verify_exp: False`" in fal501 and 'requires "sub" but not "exp"' in fal501
    assert "`sub` is read from them (line 14)" in found[4].message


def test_options_the_code_does_not_show(tmp_path):
    found = run(tmp_path, """
        import jwt

        from app.config import VERIFYING

        def peek(token, settings):
            return jwt.decode(token, options=settings.PEEK_OPTIONS)["exp"]

        def verify(token, key, settings):
            return jwt.decode(token, key, options=settings.JWT_OPTIONS)

        def imported(token):
            return jwt.decode(token, options=VERIFYING)
        """, name="app/auth.py", extra={"app/__init__.py": "", "app/config.py": 'VERIFYING = {"require": ["exp"]}\n'})
    assert [(f.line, f.rule) for f in found] == [(10, "FAL503"), (13, "FAL502"), (13, "FAL503")]


def test_iter_children_matches_libcst_children():
    """astutil.iter_children (used to index function bodies) yields libcst's own children minus
    syntax-only tokens, in the same order for statements and ordinary expressions."""
    import libcst as cst

    from fastauthlint.astutil import iter_children, walk

    module = cst.parse_module(textwrap.dedent("""
        def f(token, key=None, *args, **kw):
            opts = {"verify_exp": False, **BASE}
            opts["x"] = [a for a in range(3) if a]
            if token:
                del opts["x"]
            elif key:
                opts |= {"y": (1, 2)}
            else:
                pass
            try:
                return jwt.decode(token, key, *args, algorithms=["HS256"], options=opts, **kw)[0].sub
            except (ValueError, KeyError) as exc:
                raise RuntimeError(f"{exc!r}") from exc
            finally:
                x = lambda y: y + 1 if y else token

        @decorate(1)
        class C(Base, metaclass=Meta):
            @staticmethod
            async def g(a, /, b: int = 2, *c, d, **e) -> None:
                async with open(a) as fa, open(b):
                    async for item in fa:
                        match item:
                            case {"k": v} if v:
                                pass
                            case _:
                                pass
        """))
    syntax = (cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Newline,
              cst.Comment, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
              cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Comma, cst.Dot, cst.Colon, cst.AssignEqual,
              cst.Semicolon, cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)
    checked = 0
    for node in walk(module):
        mine = list(iter_children(node))
        theirs = [c for c in node.children if not isinstance(c, syntax)]
        assert mine == theirs, type(node).__name__
        checked += 1
    assert checked > 200


def test_fal502_claims_only_logged(tmp_path):
    found = run(tmp_path, """
        import logging
        import jwt

        log = logging.getLogger(__name__)

        def log_token(token):
            claims = jwt.decode(token, options={"verify_signature": False})
            log.info("token for %s issued by %s", claims.get("sub"), claims["iss"])
            print(f"user={claims['email']}")

        def trust_token(token):
            claims = jwt.decode(token, options={"verify_signature": False})
            log.info("token for %s", claims.get("sub"))
            return claims.get("sub")
        """)
    assert [(f.line, f.rule) for f in found] == [(13, "FAL502")]
    assert "(line 15)" in found[0].message


def test_fal503_whole_registries(tmp_path):
    found = run(tmp_path, """
        import jwt
        from jose import jwt as jose_jwt
        from jose.constants import ALGORITHMS

        def a(token, key):
            return jose_jwt.decode(token, key, algorithms=ALGORITHMS.SUPPORTED)

        def b(token, key):
            return jwt.decode(token, key, algorithms=list(jwt.algorithms.get_default_algorithms()))

        def c(token, key):
            return jose_jwt.decode(token, key, algorithms=[ALGORITHMS.HS256])
        """)
    assert [(f.line, f.rule) for f in found] == [(7, "FAL503"), (10, "FAL503")]


def test_findings_and_facts_survive_the_cache(tmp_path, monkeypatch):
    """Warnings keep their severity and imported-constant facts keep their shape when read back
    from the cache (the JSON codec once turned the `str` enum Severity into a plain str)."""
    from fastauthlint import serial
    from fastauthlint.checks.jwt.imported import ImportedRef, JwtFacts
    from fastauthlint.findings import Finding, Span

    finding = Finding(rule="FAL504", path="/x.py", span=Span(1, 1, 1, 2), message="m", severity=Severity.WARNING)
    back = serial.decode(serial.encode(finding))
    assert back.severity is Severity.WARNING
    facts = JwtFacts(constants={"OPTS": {"verify_aud": False, "require": ["exp"]}},
                     refs=[ImportedRef(role="options", ref="a.b.OPTS", line=1, column=1, end_line=1, end_column=9,
                                       display="jwt.decode", lib="PyJWT", kind="decode", reads=["exp"])])
    assert serial.decode(serial.encode(facts)) == facts

    source = {"app/__init__.py": "", "app/config.py": 'OPTIONS = {"verify_aud": False}\nLEEWAY = 600\n'}
    code = """
        import jwt
        from app.config import LEEWAY, OPTIONS

        def verify(token, key):
            return jwt.decode(token, key, algorithms=["HS256"], options=OPTIONS, leeway=LEEWAY)
        """
    monkeypatch.setenv("FASTAUTHLINT_CACHE_DIR", str(tmp_path / "cache"))
    for rel, text in {**source, "app/auth.py": textwrap.dedent(code)}.items():
        (tmp_path / "p" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "p" / rel).write_text(text, encoding="utf-8")
    from fastauthlint.config import parse_table
    from fastauthlint.engine import RunOptions, run as run_engine

    cfg = parse_table({}, root=(tmp_path / "p").resolve())
    first = run_engine(RunOptions(paths=[tmp_path / "p"], config=cfg, jobs=1, use_cache=True)).findings
    second = run_engine(RunOptions(paths=[tmp_path / "p"], config=cfg, jobs=1, use_cache=True)).findings
    summary = [(f.rule, f.severity, f.line) for f in first]
    assert sorted(summary) == [("FAL504", Severity.ERROR, 6), ("FAL504", Severity.WARNING, 6)]
    assert [(f.rule, f.severity, f.line) for f in second] == summary


# -- FAL502: unverified claims whose use is out of view (issue 12) -----------------------------

def test_fal502_severity_follows_where_the_claims_go():
    """A dependency's or a verifier's result is the identity (error); a helper's return, a call it
    passes them to, a store outside the request, an unused result leave their use out of view
    (warning); a log context only, or a key chosen by the unverified issuer, is silent. An
    identity claim read from them and returned is the identity (error)."""
    import os

    from conftest import APPS, lint

    cwd = os.getcwd()
    os.chdir(APPS / "jwt_value_flow")
    try:
        found = {f.line: f for f in lint([Path(".")]) if f.rule == "FAL502" and f.path == "auth/peeks.py"}
    finally:
        os.chdir(cwd)
    severities = {line: f.severity for line, f in found.items()}
    assert severities == {19: Severity.ERROR, 24: Severity.WARNING, 28: Severity.ERROR, 33: Severity.WARNING,
                          36: Severity.WARNING, 47: Severity.WARNING, 80: Severity.ERROR}, severities
    assert "out of view" in found[24].message and "returned" in found[24].message
    assert "passed to `enqueue(...)`" in found[36].message
    assert "the result is not used" in found[47].message and "proves nothing" in found[47].message


SEMGREP_LIKE = """
    import jwt

    def accept(encoded, key):
        jwt.decode(encoded, key, options={"verify_signature": False})
        opts = {"verify_signature": False}
        jwt.decode(encoded, key, options=opts)
        a_false_boolean = False
        opts2 = {"verify_signature": a_false_boolean}
        jwt.decode(encoded, key, options=opts2)

    def checks(encoded, key):
        jwt.decode(encoded, key, algorithms=["HS256"], options={"verify_signature": True})
        opts = {"verify_signature": True}
        jwt.decode(encoded, key, algorithms=["HS256"], options=opts)
        a_false_boolean = True
        opts2 = {"verify_signature": a_false_boolean}
        jwt.decode(encoded, key, algorithms=["HS256"], options=opts2)
        jwt.decode(encoded, key, algorithms=["HS256"])
    """


def test_fal502_unverified_decodes_whose_result_is_dropped(tmp_path):
    """The other tools' unverified-decode cases: options literal, through a local, a flag through
    a local; their result dropped. The verifying look-alikes stay silent."""
    found = [f for f in run(tmp_path, SEMGREP_LIKE) if f.rule == "FAL502"]
    assert [(f.line, f.severity) for f in found] == [(5, Severity.WARNING), (7, Severity.WARNING),
                                                     (10, Severity.WARNING)]


def test_fal502_empty_key_given_by_a_default_is_a_warning(tmp_path):
    found = run(tmp_path, """
        import jwt

        def verify(token, key=""):
            return jwt.decode(token, key, algorithms=["HS256"])

        def verify_given(token, key):
            return jwt.decode(token, key, algorithms=["HS256"])
        """)
    assert [(f.rule, f.line, f.severity) for f in found] == [("FAL502", 5, Severity.WARNING)]
    assert "`key` defaults to `''`" in found[0].message


def test_fal5xx_options_through_a_settings_attribute(tmp_path):
    found = run(tmp_path, """
        import jwt

        from app.config import settings

        def verify(token):
            return jwt.decode(token, settings.SECRET, algorithms=settings.ALGORITHMS, options=settings.OPTIONS)
        """, extra={"app/config.py": """
        from pydantic import Field
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            SECRET: str = Field(default=...)
            ALGORITHMS: list = ["HS256", "RS256"]
            OPTIONS: dict = Field(default={"verify_exp": False})

        settings = Settings()
        """})
    assert rules(found) == ["FAL501", "FAL503"]
