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


# --- Publicity and summaries --------------------------------------------------------------------
# Two apps, one direction: summaries (event summaries, photos, evidence) may read publicity
# (the published articles it counts and bundles); publicity never imports summaries. Within
# summaries the modules form no circle (services < evidence < workbook; access, photos and forms
# below the pages), counting the imports inside functions too.


def _module_name(path):
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__"
    )


def _targets(path):
    """Every openday module path's imports may name (absolute and relative, in functions too)."""
    package = _module_name(path).rsplit(".", 1)[0]
    if path.name == "__init__.py":
        package = _module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _app_modules(app):
    return {
        _module_name(path): path
        for path in (PACKAGE / app).rglob("*.py")
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


def test_publicity_does_not_import_summaries():
    wrong = [
        f"{name}: {target}"
        for name, path in _app_modules("publicity").items()
        for target in _targets(path)
        if target == "openday.summaries" or target.startswith("openday.summaries.")
    ]
    assert not wrong, "\n".join(wrong)


def test_the_modules_of_summaries_import_no_circle():
    modules = _app_modules("summaries")
    graph = {
        name: {t for t in _targets(path) if t in modules and t != name}
        for name, path in modules.items()
    }
    assert "openday.summaries.services" in graph["openday.summaries.evidence"]
    assert "openday.summaries.evidence" in graph["openday.summaries.workbook"]
    circles, done = [], set()

    def visit(name, trail):
        if name in trail:
            circles.append(" -> ".join([*trail[trail.index(name) :], name]))
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert not circles, "\n".join(circles)
