"""The layers stay apart: the web layer reaches the store only through the engine interface, and the
graph layer knows nothing of HTTP. Checked on the source (``ast``), so an import inside a function counts."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "zgckg"

WEB_MAY_NOT = ("pyoxigraph", "zgckg.kg.executor")
KG_MAY_NOT = ("flask", "werkzeug")

def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _package_of(path: Path) -> list[str]:
    return ["zgckg", *path.relative_to(PACKAGE).parent.parts]


def imported(path: Path) -> set[str]:
    """Every module name ``path`` imports, relative imports made absolute."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path)
                base = package[:len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
            # `from ..kg import executor` imports the module zgckg.kg.executor
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def forbidden(path: Path, refused: tuple[str, ...]) -> list[str]:
    return sorted(name for name in imported(path)
                  if any(name == r or name.startswith(r + ".") for r in refused))


def _id(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


@pytest.mark.parametrize("path", modules("web"), ids=_id)
def test_web_imports_neither_pyoxigraph_nor_the_executor(path):
    assert forbidden(path, WEB_MAY_NOT) == []


@pytest.mark.parametrize("path", modules("kg"), ids=_id)
def test_kg_imports_no_web_framework(path):
    assert forbidden(path, KG_MAY_NOT) == []


def test_the_scan_sees_imports_inside_functions(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import pyoxigraph as ox\n    from werkzeug import http\n")
    assert sorted(imported(probe)) == ["pyoxigraph", "werkzeug", "werkzeug.http"]


def test_relative_imports_resolve_against_the_module_package():
    assert "zgckg.kg.service_description" in forbidden(PACKAGE / "web" / "description.py", ("zgckg.kg",))
    assert {"zgckg.kg.engine", "zgckg.kg.engine.GraphWrite"} <= imported(PACKAGE / "web" / "graphstore.py")
    assert "zgckg.kg.executor.jobs" in imported(PACKAGE / "kg" / "engine" / "__init__.py")
