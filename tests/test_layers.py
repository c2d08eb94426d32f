"""The layers hold: no module of pdacmine imports a layer above its own (docs/architecture.md).

::

    cli      web           the interfaces (cli may import web only to start it: ``pdacmine serve``)
      jobs                 harvest, import, extract, update, the Workspace (the library API)
        db                 engine, migrations, locks, every query
    models   miner         tables | the pure core (records, parsing, nlp, relations, rank, review, prisma)
    config   errors        bottom utilities (and ``pdacmine.__version__``)

``models`` and ``miner`` are siblings that import neither each other nor anything above them.
Every import counts, also one inside a function (a lazy import is still a dependency), except
those under ``if TYPE_CHECKING:`` (annotations only, never run). The check reads the source with
``ast``: nothing is imported, so it also catches an upward import on a path no test runs.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pdacmine"

#: layer -> the layers it may import (its own included).
ALLOWED: dict[str, frozenset[str]] = {
    "base": frozenset({"base"}),
    "models": frozenset({"base", "models"}),
    "miner": frozenset({"base", "miner"}),
    "db": frozenset({"base", "models", "miner", "db"}),
    "jobs": frozenset({"base", "models", "miner", "db", "jobs"}),
    "web": frozenset({"base", "models", "miner", "db", "jobs", "web"}),
    "cli": frozenset({"base", "models", "miner", "db", "jobs", "web", "cli"}),
    "top": frozenset({"base", "models", "miner", "db", "jobs", "web", "cli", "top"}),
}
#: first part of a module's name under ``pdacmine`` -> its layer.
LAYER_OF = {
    "config": "base",
    "errors": "base",
    "models": "models",
    "miner": "miner",
    "db": "db",
    "jobs": "jobs",
    "web": "web",
    "cli": "cli",
    "__main__": "top",
}
#: names the package root itself defines cheaply; any other ``from pdacmine import X`` is the facade (top).
ROOT_NAMES = {"__version__": "base"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    source_layer: str
    target_layer: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source_layer} imports {self.imported} ({self.target_layer})"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The layer of a module under ``pdacmine`` (``pdacmine`` itself is the top-level facade)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    return LAYER_OF.get(parts[1])


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imported_modules(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every ``pdacmine`` import in the tree, relative ones resolved."""
    skip = _type_checking_lines(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            if base == "pdacmine":  # from pdacmine import X: a submodule, __version__, or the facade
                found += [(node.lineno, f"pdacmine.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, base))
    return [(line, name) for line, name in found if name == "pdacmine" or name.startswith("pdacmine.")]


def target_layer(imported: str) -> str | None:
    parts = imported.split(".")
    if len(parts) == 2 and parts[1] in ROOT_NAMES:
        return ROOT_NAMES[parts[1]]
    if len(parts) == 2 and parts[1] not in LAYER_OF:
        return "top"  # a name from the package root other than __version__, e.g. pdacmine.Workspace
    return layer_of(imported)


def check_layers(root: Path) -> tuple[list[Violation], list[str]]:
    """Upward imports under the package directory ``root``, and modules that belong to no layer."""
    violations: list[Violation] = []
    unassigned: list[str] = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(root, path)
        source = layer_of(module)
        if source is None:
            unassigned.append(module)
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, imported in imported_modules(tree, module, path.name == "__init__.py"):
            target = target_layer(imported)
            if target is None:
                unassigned.append(imported)
            elif target not in ALLOWED[source]:
                rel = str(path.relative_to(root.parent))
                violations.append(Violation(rel, line, imported, source, target))
    return violations, unassigned


def test_no_module_imports_a_layer_above_its_own() -> None:
    violations, unassigned = check_layers(PACKAGE)
    assert not unassigned, f"modules outside every layer (add them to LAYER_OF): {unassigned}"
    assert not violations, "upward imports:\n" + "\n".join(map(str, violations))


def test_the_check_sees_the_whole_package() -> None:
    """Guards against a check that passes because it reads nothing: the real imports are found."""
    seen = {
        (layer_of(module_name(PACKAGE, p)), target_layer(name))
        for p in PACKAGE.rglob("*.py")
        for _, name in imported_modules(ast.parse(p.read_text()), module_name(PACKAGE, p), p.name == "__init__.py")
    }
    assert {("cli", "jobs"), ("jobs", "db"), ("db", "models"), ("db", "miner"), ("miner", "base")} <= seen


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pdacmine"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    "rel,text,expected",
    [
        ("miner/x.py", "from pdacmine.db.engine import session_scope\n", ("miner", "db")),
        ("miner/x.py", "def f():\n    from pdacmine.jobs import harvest\n", ("miner", "jobs")),
        ("miner/nlp/x.py", "from ...db import engine\n", ("miner", "db")),
        ("miner/x.py", "import pdacmine.models\n", ("miner", "models")),
        ("models/x.py", "from pdacmine.miner import rank\n", ("models", "miner")),
        ("db/x.py", "from pdacmine.jobs.workspace import Workspace\n", ("db", "jobs")),
        ("db/x.py", "from pdacmine import Workspace\n", ("db", "top")),
        ("jobs/x.py", "from pdacmine.cli.context import AppContext\n", ("jobs", "cli")),
        ("web/x.py", "from pdacmine.cli.rank import explain_lines\n", ("web", "cli")),
        ("errors.py", "from pdacmine.miner.review import DecisionState\n", ("base", "miner")),
    ],
)
def test_an_injected_upward_import_fails_the_check(
    tmp_path: Path, rel: str, text: str, expected: tuple[str, str]
) -> None:
    violations, _ = check_layers(_package(tmp_path, {rel: text}))
    assert [(v.source_layer, v.target_layer) for v in violations] == [expected]


def test_downward_and_type_only_imports_pass(tmp_path: Path) -> None:
    files = {
        "miner/x.py": "from pdacmine import __version__\nfrom pdacmine.errors import InputError\n",
        "db/x.py": "from pdacmine.miner import x\nfrom pdacmine.models import Article\n",
        "jobs/x.py": "from pdacmine.db import x\n",
        "cli/x.py": "from pdacmine.jobs import x\nfrom pdacmine.web import app\n",
        "errors.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pdacmine.miner.review import S\n",
        "__init__.py": "def __getattr__(name):\n    from pdacmine.jobs.workspace import Workspace\n",
    }
    assert check_layers(_package(tmp_path, files)) == ([], [])


def test_a_module_outside_every_layer_is_reported(tmp_path: Path) -> None:
    _, unassigned = check_layers(_package(tmp_path, {"extras/x.py": ""}))
    assert "pdacmine.extras.x" in unassigned
