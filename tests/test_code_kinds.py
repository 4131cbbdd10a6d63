"""Code that is not the application — project templates, examples, standalone scripts and a
module's `if __name__ == "__main__":` block — is shown with test code's severity (info), and a
directory of template files is one info line, not a FAL000 error per file."""

from __future__ import annotations

from pathlib import Path

from conftest import lint, run_cli, write_files
from fastauthlint.findings import Severity

ROUTE = """\
    from fastapi import APIRouter

    router = APIRouter()


    @router.delete("/items/{item_id}")
    def delete_item(item_id: int):
        return {"deleted": item_id}
"""

MAIN_BLOCK = """\
    import logging

    from fastapi import FastAPI

    log = logging.getLogger(__name__)
    app = FastAPI()


    def refresh(refresh_token: str) -> None:
        log.info("refreshing with %s", refresh_token)


    if __name__ == "__main__":
        import sys

        token = sys.argv[1]
        log.info("manual run with token %s", token)
    print("module level again")
"""


def _by_file(findings):
    out = {}
    for f in findings:
        out.setdefault(Path(f.path).as_posix(), []).append(f)
    return out


def test_template_directory_is_one_info_line(tmp_path):
    root = write_files(tmp_path / "gen", {
        "pyproject.toml": "[tool.fastauthlint]\n",
        "template/{{cookiecutter.slug}}/app/main.py": """\
            from fastapi import FastAPI
            {% if cookiecutter.use_db %}
            from app.db import engine
            {% endif %}
            app = FastAPI(title="{{ cookiecutter.name }}")
        """,
        "template/{{cookiecutter.slug}}/app/settings.py": """\
            SECRET = {{ cookiecutter.secret | tojson }}
            {%- if cookiecutter.debug %}
            DEBUG = True
            {%- endif %}
        """,
        "template/{{cookiecutter.slug}}/app/api.py": ROUTE,
        "jinja/model.py": "class {{ name }}Model:\n    pass\n",
        "broken.py": "def handler(:\n    pass\n",
    })
    findings = lint([root])
    fal000 = [f for f in findings if f.rule == "FAL000"]
    templates = [f for f in fal000 if "template markup" in f.message]
    assert len(templates) == 2, [f.message for f in fal000]
    (cookie,) = [f for f in templates if "{{cookiecutter.slug}}" in f.message]
    assert cookie.message.startswith("2 files under `template/{{cookiecutter.slug}}/`")
    assert cookie.severity is Severity.INFO and (cookie.line, cookie.column) == (1, 1)
    (jinja,) = [f for f in templates if "`jinja/`" in f.message]
    assert jinja.message.startswith("1 file under")
    # a real syntax error is still an error of its own
    (broken,) = [f for f in fal000 if f.path.endswith("broken.py")]
    assert "syntax error" in broken.message and broken.severity is not Severity.INFO
    # a file of the template that parses is the generator's, not this project's: info
    (route,) = [f for f in findings if f.rule == "FAL101"]
    assert route.path.endswith("api.py") and route.severity is Severity.INFO


def test_examples_and_scripts_are_info_application_code_is_not(tmp_path):
    root = write_files(tmp_path / "lib", {
        "pyproject.toml": "[tool.fastauthlint]\n",
        "examples/todo/api.py": ROUTE,
        "demo/api.py": ROUTE,
        "scripts/maintenance_api.py": ROUTE,
        "mylib/api.py": ROUTE,
        "mylib/tools/api.py": ROUTE,  # `tools` is an ordinary package name: application code
    })
    sev = {p.split("/lib/", 1)[1]: fs[0].severity for p, fs in _by_file(lint([root])).items()}
    assert sev == {
        "examples/todo/api.py": Severity.INFO,
        "demo/api.py": Severity.INFO,
        "scripts/maintenance_api.py": Severity.INFO,
        "mylib/api.py": Severity.ERROR,
        "mylib/tools/api.py": Severity.ERROR,
    }


def test_main_guard_block_is_info_the_rest_of_the_module_is_not(tmp_path):
    root = write_files(tmp_path / "svc", {"pyproject.toml": "[tool.fastauthlint]\n", "svc/refresh.py": MAIN_BLOCK})
    found = sorted((f.line, f.severity) for f in lint([root]) if f.rule == "FAL401")
    assert [line for line, _ in found] == [10, 17]
    assert found[0][1] is not Severity.INFO and found[1][1] is Severity.INFO


def test_info_from_templates_does_not_fail_the_run(tmp_path):
    root = write_files(tmp_path / "gen", {
        "pyproject.toml": "[tool.fastauthlint]\n",
        "{{cookiecutter.slug}}/main.py": "{% if cookiecutter.web %}\napp = make_app()\n{% endif %}\n",
    })
    proc = run_cli("--format", "concise", "--show-info", str(root))
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode()
    assert "[info] 1 file under `{{cookiecutter.slug}}/` holds template markup" in proc.stdout.decode()
