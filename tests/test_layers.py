"""The layering rules of docs/architecture.md, checked on the source: no module outside the web
layers (portal, control, api, urls) imports a view module."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "openday"
WEB = ("portal", "control", "api")


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _is_view(module, names):
    parts = module.split(".")
    if len(parts) > 1 and parts[0] == "openday" and parts[1] in ("portal", "control"):
        return True
    last = parts[-1]
    return last.endswith("views") or any(n.endswith("views") for n in names)


def test_no_module_outside_the_web_layers_imports_a_view_module():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in WEB or relative.name == "urls.py":
            continue
        if "migrations" in relative.parts:
            continue
        for module, names in _imports(path):
            if module.startswith("openday") and _is_view(module, names):
                wrong.append(f"{relative}: {module} {names}")
    assert not wrong, "\n".join(wrong)


def test_the_api_shares_rules_with_the_pages_through_the_apps_not_their_views():
    wrong = []
    for path in (PACKAGE / "api").rglob("*.py"):
        for module, names in _imports(path):
            if module.startswith(("openday.portal", "openday.control")):
                wrong.append(f"{path.relative_to(PACKAGE)}: {module} {names}")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_a_private_name_from_a_views_module():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for module, names in _imports(path):
            private = [n for n in names if n.startswith("_")]
            if private and module.split(".")[-1].endswith("views"):
                wrong.append(f"{path.relative_to(PACKAGE)}: {module} {private}")
    assert not wrong, "\n".join(wrong)


def test_a_validation_error_is_turned_into_errors_in_one_place():
    """lib.validation turns a service's ValidationError into form errors, a page's
    {field: reason} or the API's details; no other module walks message_dict itself
    (an import report, which words each row's problems, is the exception)."""
    allowed = {Path("lib/validation.py"), Path("orgs/tree_xlsx.py")}
    wrong = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE) not in allowed and "message_dict.items()" in path.read_text()
    ]
    assert not wrong, wrong
