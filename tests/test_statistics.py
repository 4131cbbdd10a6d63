"""`--statistics`: counts per rule, most frequent first, with ruff's fixable marker."""

from __future__ import annotations

import json
import shutil

from conftest import FIXTURES, run_cli


def test_statistics_text_and_json(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "fixes" / "http_401" / "input", root)
    (root / "pyproject.toml").write_text("[tool.fastauthlint]\nselect = [\"FAL601\", \"FAL603\"]\n")
    (root / "app" / "cookie.py").write_text(
        "from fastapi import Response\n\n\ndef f(response: Response, token: str):\n"
        "    response.set_cookie('access_token', token, secure=False)\n")
    proc = run_cli("--statistics", ".", cwd=root)
    lines = proc.stdout.decode().splitlines()
    assert proc.returncode == 1
    assert lines[0] == "6\tFAL601\t[-] unauthorized-without-www-authenticate"  # 5 of 6 fixable
    assert lines[1] == "1\tFAL603\t    insecure-auth-cookie"  # secure=False on purpose: none
    assert lines[2] == "[*] 5 fixable with `fastauthlint --fix`."
    doc = json.loads(run_cli("--statistics", "--format", "json", ".", cwd=root).stdout)
    assert doc == [{"code": "FAL601", "name": "unauthorized-without-www-authenticate", "count": 6, "fixable": 5},
                   {"code": "FAL603", "name": "insecure-auth-cookie", "count": 1, "fixable": 0}]
    bad = run_cli("--statistics", "--format", "sarif", ".", cwd=root)
    assert bad.returncode == 2 and b"--statistics prints text or json" in bad.stderr
