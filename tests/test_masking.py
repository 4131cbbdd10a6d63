"""No secret value ever leaves the tool whole: not in any output format, not in the cache.

The fixture app `secrets_masking` plants known secret values (a JWT signing key, an environment
fallback, provider keys, a password inside a URL, a PEM private key, a JWT, a key passed to
`jwt.encode`, and a key on a line whose own FAL301 is suppressed but which another rule reports).
The installed console script is run on a copy of it with every `--format`, to standard output and
to `-o` files, with the cache enabled (twice: the second run is served from the cache), with the
secrets rule deselected, and with colours forced; then every byte written is searched.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import APPS, run_cli
from fastauthlint.report import FORMATS

FIXTURE = APPS / "secrets_masking"

PLANTED = (
    "7d1f0c9e2b8a4f6d3e5c7b9a1d0f2e4c6b8a0d2f4e6c8a1b3d5f7e9c0b2a4d6f",
    "Zr8Wq3Kx1Pn6Tv-dev9",
    "sk_live_9Qm2Zx7Kp4Lw8Rt3Vb6Nc1Jh",
    "AKIAZ7Q3M9X2W8V4K6T1",
    "ghp_R8f3kLm2Qw9ZxV7bN4cT1yU6pA0sD5gH3jK8",
    "Vx9mQ2kL7wTz",
    "MIIEpQIBAAKCAQEAw3Jk9Lm2Qp8Zr7Xv4Tn1Bc6Hs0Yd5Fg3Wq9Ke2Mu7Pa4Lb8Nc",
    "Zt5Vx1Rw6Qy3Us9Ko2Ip7Hm4Jn8Lg0Fd5Sa2De9Cf6Bv3Nx1Mz4Ly7Kw0Jt8Hr5Q",
    "eyJzdWIiOiJzdmMtYmlsbGluZyJ9.Qk3b9Lz7LmP2vR8tY4wN6cA1sD0fG5hJxW",
    "inline-Hk4Pq9Wm2Zt7Xr",
    "k3y-Hx7Pq2Wm9Zt4Lb",
    # lists, misspelt names, tuples, chained comparisons, development defaults, settings lists
    "tk-Qw7Rt2Zx9Lm4Pn8Vb",
    "sc-Jh3Kd8Wq2Zp7Lx5Nm",
    "pw-Tz6Yc1Vb4Nm9Qx2Kd",
    "redisdevpassword",
    "rl-Mx8Pq3Wz7Kv2Ld9Hs",
    "rt-Hq4Zm8Xv2Kp7Wn3Lc",
    # `Final`, class and outside attributes, comparisons, a storage key's development default, a
    # suppressed keyword secret on the line of a token carried to a log by an exception
    "fn-Lq2Wx8Zr4Kt7Mv3Pb",
    "s3devsecretvalue",
    "ca-Vn5Hs9Qd3Jw7Xk2Tm",
    "at-Gb4Mz8Rq1Wx6Kp3Ls",
    "cmp-Zx4Kw9Lp2Qr7Vm5N",
    "kw-Rz3Qm8Xt2Lw6Vp9H",
    # signing keys that reach `jwt.encode` through a local and a parameter's default
    "lk-Wq5Zr8Tm2Xv6Kp3Hd",
    "df-Pm7Kx3Wz9Rq2Lt6V",
)
# A mask shows at most four characters of a value; any ten consecutive ones are a leak (not
# eight: "sk_live_" alone is a prefix every Stripe key shares, and the rule docs show one).
WINDOW = 10


def _leaks(data: bytes) -> list:
    text = data.decode("utf-8", "replace")
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")  # \u2026 in JSON
    found = []
    for value in PLANTED:
        for i in range(len(value) - WINDOW + 1):
            piece = value[i : i + WINDOW]
            if piece in text or piece in escaped or json.dumps(piece)[1:-1] in text:
                found.append(value)
                break
    return found


@pytest.fixture
def workspace(tmp_path):
    work = tmp_path / "work"
    shutil.copytree(FIXTURE, work)
    cache = tmp_path / "cache"
    sources = {p.relative_to(work) for p in work.rglob("*") if p.is_file()}
    return work, cache, sources


def test_planted_values_are_in_the_sources():
    """The test below can fail: every planted value is really in the fixture."""
    text = "".join(p.read_text(encoding="utf-8") for p in FIXTURE.rglob("*.py"))
    for value in PLANTED:
        assert value in text, value


def test_no_output_and_no_cache_file_shows_a_planted_secret(workspace):
    work, cache, sources = workspace
    env = {"FASTAUTHLINT_CACHE_DIR": str(cache)}
    outputs = {}
    runs = []
    for fmt in FORMATS:  # a cold run to standard output, then from the cache to a file
        runs.append((f"{fmt}-cold", ["--format", fmt, "svc"], {}))
    for fmt in FORMATS:
        runs.append((f"{fmt}-cached", ["--format", fmt, "-o", f"report.{fmt}", "svc"], {}))
    runs.append(("text-color", ["--format", "text", "svc"], {"FORCE_COLOR": "1", "NO_COLOR": ""}))
    # The secrets rule deselected: the suppressed/deselected secret's line is still masked
    # wherever another rule shows it.
    runs.append(("token-rules-only", ["--format", "text", "--select", "FAL4", "svc"], {}))
    runs.append(("no-select", ["--format", "text", "--ignore", "FAL301,FAL302", "svc"], {}))
    for name, args, extra_env in runs:
        proc = run_cli(*args, cwd=work, env={**env, **extra_env})
        assert proc.returncode == 1, (name, proc.returncode, proc.stderr.decode())
        outputs[name] = proc.stdout + proc.stderr

    # The findings are there (masked), so the masks were really exercised.
    report = json.loads(outputs["json-cold"])
    rules = sorted(f["rule"] for f in report["findings"])
    assert rules.count("FAL301") == 18 and rules.count("FAL302") == 4 and "FAL401" in rules, rules
    messages = " ".join(f["message"] for f in report["findings"])
    assert "which the `except` around the call writes to" in messages  # the exception path is exercised
    severities = {f["severity"] for f in report["findings"] if f["rule"] == "FAL302"}
    assert severities == {"error", "warning"}, severities  # the development default is a warning, masked too
    assert json.loads((work / "report.json").read_text(encoding="utf-8"))["findings"] == report["findings"]
    assert "\u2026" in outputs["text-cold"].decode("utf-8")  # code frames show masked literals
    assert "FAL401" in outputs["token-rules-only"].decode("utf-8")

    for name, data in outputs.items():
        assert not _leaks(data), f"{name} shows {_leaks(data)}"

    written = [p for p in work.rglob("*") if p.is_file() and p.relative_to(work) not in sources]
    assert written, "the -o reports were written"
    for path in written:
        assert not _leaks(path.read_bytes()), f"{path.name} shows {_leaks(path.read_bytes())}"

    cache_files = [p for p in cache.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" and p.stat().st_size > 0 for p in cache_files), "the cache was written"
    for path in cache_files:
        assert not _leaks(path.read_bytes()), f"cache file {path.name} shows {_leaks(path.read_bytes())}"


def test_conditions_shown_in_jwt_messages_are_masked(tmp_path):
    """FAL505 says which condition issues a token without `exp`; a literal in it (here a secret the
    code compares with) is shown as `"…"`, in every format. A key that reaches a decode through a
    default argument is masked on the FAL502 finding's line and in the diff of its fix."""
    work = tmp_path / "work"
    shutil.copytree(APPS / "jwt_masking", work)
    planted = ("pt_Qz8Wm3Kx7Rv2Lb9Tn4Hc", "dk_Lm3Qx8Vw2Rt7Zp5N", "ik_Vw2Rt7Zp5NLm3Qx8")
    text = "".join(p.read_text(encoding="utf-8") for p in (work / "svc").glob("*.py"))
    assert all(value in text for value in planted)
    env = {"FASTAUTHLINT_CACHE_DIR": str(tmp_path / "cache")}
    runs = [("--format", fmt, "svc") for fmt in FORMATS] + [("--diff", "--select", "FAL5", "svc")]
    for args in runs:
        proc = run_cli(*args, cwd=work, env=env)
        out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        if "--diff" in args:
            assert "-    opts = {\"verify_signature\": False}" in out and "dk_L" in out, out
        else:
            assert "FAL505" in out and "partner_token" in out and "FAL502" in out, (args, out)
        for value in planted:
            assert not any(value[i:i + WINDOW] in out for i in range(len(value) - WINDOW + 1)), (args, value, out)
