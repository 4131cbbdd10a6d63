"""Why a route no user authenticates is still fine: its purpose, or a guard that is not a user.

A purpose (login, signup, password reset, email verification, magic link, OAuth start and
callback, logout, token refresh, health, OpenAPI/docs, .well-known/JWKS, root redirect, CSRF
bootstrap) makes the route public by design; a guard (a capability the caller presents, a
signature of the body, an OAuth2 server's client authentication) protects it. Both are earned by
what the handler and what it calls do (reach.py's Deeds), each by its own combination of acts:
a `/login` that issues a token without checking a password is not a login, a "reset" that sets a
password without a one-time token is not a reset, a "health" that returns rows is not a probe.
The path and the handler's name only choose between labels of the same evidence (a one-time
link sent by mail is a "password reset" request when the route speaks of passwords).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

from fastauthlint.project.authentication import Auth, Authentication
from fastauthlint.project.acts import WEAK_TOKEN_NAMES
from fastauthlint.project.data_access import USER_CLASS
from fastauthlint.project.facts import FuncFact
from fastauthlint.project.reach import Deeds, Reach
from fastauthlint.project.values import short_name


@dataclass(frozen=True)
class Judgement:
    kind: str  # "purpose" | "capability" | "signature" | "client"
    label: str  # "login", "oauth callback", "`share_token`", "stripe", ...
    why: str  # the evidence, for people

    def text(self) -> str:
        """How `fastauthlint routes` shows it: `capability (share_token looked up, refused when unknown)`."""
        if self.kind == "purpose":
            return self.label
        return f"{self.kind if self.kind != 'client' else 'client authentication'} ({self.why})"


# Names of credentials that authenticate a user: verified by a route they are authentication
# (reported or recognised elsewhere), never a capability.
_GENERIC_CREDENTIALS = frozenset({"token", "access_token", "auth_token", "jwt", "bearer_token", "session_token",
                                  "api_token", "x_token", "id_token", "authorization", "session"})
# the name of a token issuer (`create_access_token`), never of a value presented (`refresh_token`)
_ISSUER = re.compile(r"^(create|issue|generate|gen|mint|make|sign|encode|build)_\w*(token|jwt)s?$")
_PATH_PARAM = re.compile(r"\{\w+(:\w+)?\}")
_CATCH_ALL = re.compile(r"\{[^{}]*:path\}$")
_RESET = re.compile(r"reset|forgot|recover|password", re.I)
_VERIFY = re.compile(r"verif|confirm|activat", re.I)
_LINK_REQUEST = re.compile(r"reset|forgot|recover|verif|confirm|activat|magic|resend", re.I)
_MAGIC = re.compile(r"magic|passwordless|otp|one.?time|login|log.?in|sign.?in|code", re.I)
# the last segment of a probe's path
_HEALTH = re.compile(r"^(health|healthz|healthcheck|health[-_]check|ready|readyz|readiness|live|livez|liveness|ping"
                     r"|alive|heartbeat|up)$", re.I)
_SIG_LABELS = {"stripe": "Stripe webhook signature", "svix": "Svix webhook signature",
               "standard webhooks": "Standard Webhooks signature", "slack": "Slack request signature",
               "twilio": "Twilio request signature", "github": "GitHub webhook signature",
               "ed25519": "Ed25519 signature of the body", "hmac": "HMAC of the body",
               "verifier": "webhook signature verified"}


class Purposes:
    def __init__(self, reach: Reach):
        self.reach = reach

    def judge(self, method: str, path: str, hpath: str, hfact: FuncFact) -> Optional[Judgement]:
        """The purpose or guard the route's handler earns, else None."""
        d = self.reach.deeds(hpath, hfact)
        words = f"{path} {hfact.name}"
        # sign-in flows are HTTP requests: a WebSocket that makes sure a default user exists or
        # checks a lock token on the way is no signup or reset
        flow = self._auth_flow(d, method, words, path) if method != "WEBSOCKET" else None
        return self._document(d, path) or self._guard_first(d) or flow \
            or self._probe(d, method, path) or self._capability(d, hfact) or self._refusal(d, path) \
            or self._return_page(d, method) or self._spa(d, method, path) or self._constant(d, method, hpath, hfact) \
            or self._availability(d, method, hfact)

    def lookalike(self, method: str, hpath: str, hfact: FuncFact) -> Optional[str]:
        """A sign-in act done wrong, for the message of a route no purpose made public: the
        finding's fix is then not an authenticating dependency (which would lock the door users
        come in by) but the act itself."""
        if method != "POST":
            return None
        d = self.reach.deeds(hpath, hfact)
        if d.has("pw-hash") and d.has("creates") and d.has("grants-admin") and _account_rows(d):
            return ("it looks like a signup, but the account it creates is given an administrator or staff role "
                    "(a flag or role set to a constant): anyone can register with those rights. Create accounts "
                    "with an unprivileged role, and let an administrator grant more")
        if d.has("issue") and d.inputs and (d.has("store-read") or any(
                _ACCOUNTISH.search(m.name.rsplit(".", 1)[-1]) for m in d.models)) and not _own_checks(d) and not d.has(
                "pw-verify", "passkey-verify", "idp-verify", "oauth-exchange", "delegate:login", "creates", "pw-hash",
                "oauth-server") and not d.sigs and not d.checks:
            return ("it issues a token for the account the request names without checking a password or any other "
                    "credential: anyone can obtain one for any user. Verify the credential before issuing the token "
                    "(a reset or verification token goes to the account's e-mail, never into the response)")
        return None

    # -- documents and probes -------------------------------------------------------------------
    @staticmethod
    def _document(d: Deeds, path: str) -> Optional[Judgement]:
        quiet = not d.has("writes") and not d.models
        if d.has("metrics") and quiet and not d.inputs and not d.has("decrypt"):
            # a Prometheus scrape: counters of the process, read by a scraper that sends no user
            return Judgement("purpose", "metrics", "serves Prometheus metrics")
        if d.has("docs") and quiet:
            return Judgement("purpose", "openapi/docs", "serves the OpenAPI document or its UI")
        if d.has("jwks") and quiet and not d.has("decrypt"):
            label = ".well-known/jwks" if "/.well-known/" in path else "public keys"
            return Judgement("purpose", label, "publishes public keys")
        if "/.well-known/" in path and quiet and not d.inputs and (d.static or (not d.busy and len(d.funcs) == 1)):
            # constants, or a document it builds alone from its own URLs (OpenID discovery)
            return Judgement("purpose", ".well-known", "a constant document" if d.static else "a discovery document")
        return None

    @staticmethod
    def _probe(d: Deeds, method: str, path: str) -> Optional[Judgement]:
        """Health, readiness and root routes: no request input, no rows, no writes, no outbound
        effects, and an answer of constants (or a connectivity ping)."""
        if method not in ("GET", "HEAD") or d.inputs or d.models or d.opaque or \
                d.has("writes", "decrypt", "issue", "mint") or _effects(d):
            return None
        probe_path = bool(_HEALTH.match(path.rstrip("/").rsplit("/", 1)[-1]))
        # a ping through a long-lived instance's methods (`manager.list_engine_statuses()`) answers
        # what that instance gathered (running engines, jobs), not whether the service is up,
        # unless the path says it is a probe
        ping = d.has("ping") and (not d.methods or probe_path)
        if not ((d.static and not d.busy) or ping):
            return None
        bare = path.rstrip("/") == ""
        if d.has("redirect") and d.static:
            return Judgement("purpose", "root redirect" if bare else "redirect", "redirects to a constant URL")
        if ping or probe_path:
            return Judgement("purpose", "health", "pings its dependencies" if ping else "answers constants only")
        if bare:
            return Judgement("purpose", "root", "answers constants only")
        return None

    @staticmethod
    def _availability(d: Deeds, method: str, hfact: FuncFact) -> Optional[Judgement]:
        """A sign-up form's availability check (`GET /check-email?email=`): the request names an
        e-mail or a user name, the answer only says whether such an account exists, the rows read
        are accounts' and nothing is written."""
        if method not in ("GET", "POST") or "answers-existence" not in hfact.actions or not d.inputs:
            return None
        if not all(_IDENTIFIER_INPUT.search(i) for i in d.inputs):
            return None
        names = [m.name.rsplit(".", 1)[-1] for m in d.models]
        if not names or not all(_ACCOUNTISH.search(n) for n in names) or d.opaque or _effects(d) or d.has(
                "writes", "creates", "issue", "mint", "decrypt", "pw-hash", "pw-verify", "grants-admin", "secret-read"):
            return None
        return Judgement("purpose", "availability check", "answers only whether an account with the e-mail or name "
                                                          "it is given exists")

    @staticmethod
    def _spa(d: Deeds, method: str, path: str) -> Optional[Judgement]:
        """A single-page app's catch-all (`/{full_path:path}`): every file it answers lies under the
        front end's build or static directory the application ships (`index.html`, the bundles),
        and it reads no rows or other files, changes nothing and calls out to nothing."""
        if method not in ("GET", "HEAD") or not _CATCH_ALL.search(path) or not d.has("build-file") or d.has(
                "file-answer") or d.models or d.opaque or _effects(d) or d.has(
                "writes", "creates", "store-read", "secret-read", "issue", "mint", "decrypt", "grants-admin"):
            return None
        return Judgement("purpose", "spa", "answers the front end's build files (index.html and its bundles) and "
                                           "reads nothing else")

    @staticmethod
    def _return_page(d: Deeds, method: str) -> Optional[Judgement]:
        """A browser return page (a payment provider's return or cancel URL, an external flow's
        landing): a GET whose every answer redirects to a URL of the application's own (a literal
        or its configuration, the request's values only in the query), reading and changing
        nothing on the way."""
        if method != "GET" or not d.has("redirects-only") or d.models or d.opaque or _effects(d) or d.has(
                "writes", "creates", "store-read", "secret-read", "issue", "mint", "decrypt", "pw-hash", "grants-admin"):
            return None
        return Judgement("purpose", "redirect", "answers only with redirects to its own URLs and reads or changes "
                                                "nothing (a browser return page)")

    def _constant(self, d: Deeds, method: str, hpath: str, hfact: FuncFact) -> Optional[Judgement]:
        """Nothing to protect: the handler reads none of its parameters, calls nothing, touches no
        rows and answers constants, and what its dependencies run does no work either (a stateless
        `POST /logout` answering a message, a stub whose body is `pass`). A read answering
        constants is left to the probes and to the risk (info); a write route doing nothing is
        what this is for."""
        if method in ("GET", "HEAD") and "stub" not in hfact.actions:
            return None
        if not d.static or d.busy or "reads-params" in hfact.actions or d.models or d.opaque or _effects(d) \
                or d.has("writes", "creates", "store-read", "secret-read", "issue", "mint", "decrypt", "pw-hash",
                         "pw-verify", "grants-admin") or d.sigs or d.checks:
            return None
        for p in hfact.params:
            for target, tpath in self.reach.dep_targets(p, hpath):
                if any(o.kind != "func" for o in self.reach.E.ev(target, tpath)):
                    return None  # a dependency this analysis cannot see into may do the work
        for fpath, qual, depth in d.funcs:
            g = self.reach.E.func(fpath, qual) if depth else None
            if g is not None and any(t in ("writes", "creates", "mail", "pw-hash", "issue", "mint")
                                     or t.startswith("effect:") for t in g.actions):
                return None  # a dependency doing the work (`Depends(create_account)`) and a handler answering "ok"
        return Judgement("purpose", "constant answer", "reads nothing the request sends, calls nothing and "
                                                       "answers constants")

    @staticmethod
    def _refusal(d: Deeds, path: str) -> Optional[Judgement]:
        """A catch-all 404 or a retired endpoint: every path through the handler answers 4xx, and
        nothing on the way reads rows, writes or calls out."""
        if not d.refuses_only or d.models or d.opaque or d.has("writes", "creates", "mail", "issue", "mint", "decrypt") \
                or _effects(d):
            return None
        label = "fallback (404)" if re.search(r"\{[^{}]*:path\}", path) else "refusal only"
        return Judgement("purpose", label, "answers every request with a 4xx error and does nothing else")

    # -- guards -----------------------------------------------------------------------------------
    @staticmethod
    def _guard_first(d: Deeds) -> Optional[Judgement]:
        if d.has("oauth-server"):
            return Judgement("client", "oauth2 server", "an OAuth2 server's token endpoint authenticates the client")
        if d.sigs:
            kind = next((s for s in d.sigs if s != "verifier"), d.sigs[0])
            return Judgement("signature", kind, _SIG_LABELS.get(kind, f"{kind} signature"))
        return None

    @staticmethod
    def _capability(d: Deeds, hfact: FuncFact) -> Optional[Judgement]:
        """A secret the caller presents (share, invitation or download token, one-time code,
        license key) verified, or looked up and refused when unknown. A route the request hands
        nothing (no parameter it fills, no request object) presents no secret: a `bot_token` it
        reads from its own settings is configuration."""
        if not d.inputs and not hfact.takes_request and not hfact.reads:
            return None
        for how, name, dep in d.checks:
            if name in WEAK_TOKEN_NAMES or name in _GENERIC_CREDENTIALS or "refresh" in name or _ISSUER.match(name):
                continue
            if how == "verify" or d.refuses:
                did = "verified" if how == "verify" else "looked up, refused when unknown"
                return Judgement("capability", name, f"`{name}` {did}")
        return None

    # -- sign-in flows ----------------------------------------------------------------------------
    @staticmethod
    def _auth_flow(d: Deeds, method: str, words: str, path: str) -> Optional[Judgement]:
        checks = _own_checks(d)
        names = [n for _, n in checks]
        issue = d.has("issue")
        if d.has("pw-verify") and issue:
            return Judgement("purpose", "login", "verifies a password against the stored hash and issues a token")
        if d.has("passkey-verify") and issue:
            return Judgement("purpose", "login (passkey)", "verifies a WebAuthn assertion and issues a token")
        if d.has("passkey-options") and not d.has("issue", "grants-admin", "pw-hash", "passkey-verify") and \
                not any(t.startswith("creates:") and _ACCOUNTISH.search(t[8:]) for t in d.tags):
            # the challenge for the account named is all it answers; what it writes is that
            # challenge, kept for the verify step (registration options are another call)
            return Judgement("purpose", "login (passkey options)", "hands out a WebAuthn authentication challenge")
        if d.has("delegate:login") and not d.has("grants-admin", "creates", "pw-hash") and _session_rows_only(d):
            return Judgement("purpose", "login (delegated)", "hands the request's password to an identity provider's "
                                                             "or another service's login and answers with what it gets")
        if d.has("delegate:signup") and not d.has("grants-admin") and _account_rows(d):
            return Judgement("purpose", "signup (delegated)", "hands the request's password to an identity provider's "
                                                              "or another service's account creation")
        if d.has("pw-hash") and d.has("writes") and checks:
            return Judgement("purpose", "password reset" if _RESET.search(words) or not d.has("creates") else "signup",
                             f"checks `{names[0]}` and sets a new password")
        if method == "POST" and d.has("pw-hash") and d.has("creates") and not d.has("grants-admin") and _account_rows(d):
            return Judgement("purpose", "signup", "creates an account with a hashed password")
        idp = [n for n in names if n in ("id_token", "credential", "oauth_verifier")]
        if d.has("idp-verify", "oauth-exchange") or idp:
            return Judgement("purpose", "oauth callback", "exchanges a code or verifies the identity provider's token")
        if issue:
            refresh = [n for n in names if "refresh" in n] or (names if "refresh" in words.lower() else [])
            if refresh:
                return Judgement("purpose", "token refresh", f"verifies `{refresh[0]}` and issues a new token")
            strong = [n for n in names if n not in WEAK_TOKEN_NAMES]
            if strong or (names and _MAGIC.search(words)):
                n = (strong or names)[0]
                return Judgement("purpose", "magic link", f"checks the one-time `{n}` and signs the caller in")
        if d.has("oauth-start"):
            return Judgement("purpose", "oauth start", "redirects to the provider's authorization URL")
        if d.has("mail") and d.static and not d.has("grants-admin", "pw-hash") and _LINK_REQUEST.search(words) \
                and all(n in WEAK_TOKEN_NAMES for n in names):
            # the link is minted where the mail is built (a queue's worker): the route mails and
            # answers the same constant whoever asked (no account enumeration); a weak name it
            # looks up on the way is a throttle key, not the one-time value of a link
            return Judgement("purpose", _request_label(words), "queues a mail and answers a constant")
        if checks and d.has("writes") and _VERIFY.search(words) and not d.has("grants-admin"):
            return Judgement("purpose", "email verification", f"checks the one-time `{names[0]}`")
        if checks and not d.has("writes") and (_RESET.search(words) or _VERIFY.search(words)):
            what = "password reset" if _RESET.search(words) else "email verification"
            return Judgement("purpose", f"{what} (token check)", f"checks the one-time `{names[0]}`")
        if d.has("mail") and (d.has("mint") or issue):
            return Judgement("purpose", _request_label(words), "sends a one-time link or code by mail")
        if d.has("mint") and d.has("writes") and d.static and _LINK_REQUEST.search(words) \
                and not d.has("grants-admin", "pw-hash", "issue") and not names:
            # the one-time value is minted and stored for the account asked about, and the answer is
            # the same constant whoever asked (the link leaves by a channel the route does not show)
            return Judgement("purpose", _request_label(words), "mints and stores a one-time value and answers a "
                                                               "constant whoever asked")
        if d.has("delivers-minted") and _LINK_REQUEST.search(words) and not d.has("grants-admin", "pw-hash"):
            # the link or code leaves through a notifier or an event queue (a worker mails it)
            return Judgement("purpose", _request_label(words), "mints a one-time value and hands it to a notifier "
                                                               "or an event queue")
        if (d.has("logout") or (d.has("revoke") and (checks or not _PATH_PARAM.search(path)))) \
                and not d.has("creates", "pw-hash", "mail", "grants-admin") and _session_rows_only(d):
            # a revocation is a logout of a token the caller presents (in the body, checked): a
            # row picked by a path id it does not check (`/tokens/{token_id}/revoke`,
            # `/clients/{client_id}/revoke`) is administration of someone's credentials
            return Judgement("purpose", "logout", "clears the session or revokes the presented token")
        if d.has("draws") and d.has("mint") and d.has("writes") and not d.models \
                and not d.has("issue", "pw-hash", "grants-admin", "mail"):
            # a random answer drawn as an image and kept (a cache key with an expiry, a session)
            # for the login or sign-up form to check
            return Judgement("purpose", "captcha", "draws a random challenge as an image and stores its answer")
        if d.has("csrf") and not d.models and not d.has("writes"):
            return Judgement("purpose", "csrf token", "hands out a CSRF token")
        return None


def _own_checks(d: Deeds) -> List:
    """The one-time values the route itself checks (not the credential an authenticating
    dependency verifies) and the refused lookups: (how, name)."""
    out = []
    for how, name, dep in d.checks:
        if dep and name in _GENERIC_CREDENTIALS:
            continue
        if _ISSUER.match(name):
            continue  # the token an issuer just made (`create_access_token(...)`), not one presented
        if how == "lookup" and not d.refuses:
            continue
        out.append((how, name))
    return out


# models a logout may delete rows of: the session or the token it ends
_SESSION_MODEL = re.compile(r"session|token|refresh|jti|blacklist|blocklist|denylist|revoked", re.I)


def _session_rows_only(d: Deeds) -> bool:
    """A cookie deleted is logout only if nothing else changes: what it writes, if anything, is
    the session or token it ends (`DELETE /account` that also clears the cookie is no logout)."""
    if not d.has("writes"):
        return True
    if d.models:
        # the session's or token's rows, and no account's (a tenant looked up on the way is no harm)
        names = [m.name.rsplit(".", 1)[-1] for m in d.models]
        return any(_SESSION_MODEL.search(n) for n in names) and not any(USER_CLASS.match(n) for n in names)
    return d.has("revoke")


def _account_rows(d: Deeds) -> bool:
    """A signup creates an account: among the tables it touches is the user table (or it names
    none this analysis sees). Hashing the password of a data source or a service credential while
    creating some other row is no signup."""
    built = [t[8:] for t in d.tags if t.startswith("creates:")]
    if d.has("issue"):
        return True  # the new row signs in at once: an account, whatever its class is called
    if built:
        return any(_ACCOUNTISH.search(b) for b in built)
    return not d.models or any(_ACCOUNTISH.search(m.name.rsplit(".", 1)[-1]) for m in d.models)


# the class of an account's row (`User`, `UserInDB`, `AppUser`, `Account`, `Member`...)
_ACCOUNTISH = re.compile(r"user|account|member|customer|profile|person|people|admin|staff|employee|player|patient"
                         r"|student|subscriber|principal|identity|login|credential|client", re.I)


# what an availability check is asked about
_IDENTIFIER_INPUT = re.compile(r"e-?mail|user_?name|login|handle|nick|phone|^name$|^username$", re.I)


def _request_label(words: str) -> str:
    if _RESET.search(words):
        return "password reset (request)"
    if _VERIFY.search(words):
        return "email verification (request)"
    if _MAGIC.search(words):
        return "magic link (request)"
    return "one-time link (request)"


def _effects(d: Deeds) -> bool:
    return any(t.startswith("effect:") for t in d.tags) or d.has("mail")


def configured_call(auth: Authentication, reach: Reach, path: str, f: FuncFact) -> Optional[Auth]:
    """A verifier named in `auth-dependencies` that the handler (or a project function it calls,
    two levels deep) calls itself: `corp_sso.verify_request(request)`, `verifier.check(request)`
    on an injected library object."""
    if not auth.auth_patterns:
        return None
    E = reach.E
    todo = [(path, f)]
    for fpath, qual, depth in reach.deeds(path, f).funcs:
        g = E.func(fpath, qual)
        if g is not None and 0 < depth <= 2:
            todo.append((fpath, g))
    for fpath, g in todo:
        names: List[str] = []
        for c in g.calls + g.xcalls:
            names.extend(auth.obj_qualname(o) for o in E.ev(c, fpath) if o.kind in ("ext", "extinst", "method", "func"))
        params = {p.name: p for p in g.params}
        for pname, meth in g.param_calls:
            if pname in params:
                names.extend(f"{auth.obj_qualname(o)}.{meth}" for o in reach.receivers(params[pname], fpath)
                             if o.kind in ("ext", "extinst", "inst"))
        for qn in names:
            if qn and auth.configured(qn):
                return Auth(qn, f"{short_name(qn)} (configured in auth-dependencies)")
    return None
