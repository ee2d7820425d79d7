"""Code versions: each asset's ``code_version`` is a digest of the source that computes it.

The source of an asset is the module that defines it plus every project module that module
imports, transitively (``alpha_core.*`` and ``alpha_dagster.*``; imports inside functions
count). Editing any of those files gives the asset a new code version, so its materialised
partitions turn stale (:mod:`alpha_dagster.lib.lineage`, and the UI's "code version changed");
editing an unrelated module, a test or a doc changes nothing. The digest covers file contents
and their paths relative to the project root, so it is the same on every checkout.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import dagster as dg

PROJECT_PACKAGES = ("alpha_core", "alpha_dagster")
ROOT = Path(__file__).resolve().parents[2]  # the project root: alpha_core/ and alpha_dagster/ live here


class SourceTree:
    """The project's modules under ``root``: module name -> file, and each file's project imports
    (parsed once per tree object)."""

    def __init__(self, root: Path = ROOT, packages: Sequence[str] = PROJECT_PACKAGES) -> None:
        self.root = Path(root)
        self.packages = tuple(packages)
        self._imports: dict[Path, set[Path]] = {}

    def file_of(self, module: str) -> Path | None:
        """The file of ``module`` (a package's ``__init__.py``), None when it is not in the tree."""
        base = self.root.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def _project_modules(self, node: ast.AST) -> Iterable[str]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:  # ``from pkg import submodule``
                yield f"{node.module}.{alias.name}"

    def imports_of(self, path: Path) -> set[Path]:
        """Files of the project modules ``path`` imports (and the packages above them)."""
        if path not in self._imports:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found: set[Path] = set()
            for node in ast.walk(tree):
                for module in self._project_modules(node):
                    if module.split(".")[0] not in self.packages:
                        continue
                    parts = module.split(".")
                    for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
                        f = self.file_of(".".join(parts[:i]))
                        if f is not None:
                            found.add(f)
            found.discard(path)
            self._imports[path] = found
        return self._imports[path]

    def closure(self, module: str) -> list[Path]:
        """``module``'s file and every project file it reaches through imports, sorted."""
        start = self.file_of(module)
        if start is None:
            raise ValueError(f"module {module} is not under {self.root}")
        seen, todo = {start}, [start]
        while todo:
            for f in self.imports_of(todo.pop()):
                if f not in seen:
                    seen.add(f)
                    todo.append(f)
        return sorted(seen)

    def version(self, module: str) -> str:
        """sha256 over the closure's (relative path, bytes), first 16 hex digits."""
        h = hashlib.sha256()
        for f in self.closure(module):
            h.update(f.relative_to(self.root).as_posix().encode())
            h.update(b"\0")
            h.update(f.read_bytes())
            h.update(b"\0")
        return h.hexdigest()[:16]


def with_code_version(
    assets: Sequence[dg.AssetsDefinition], builder: Callable | str, tree: SourceTree
) -> list[dg.AssetsDefinition]:
    """``assets`` (built by ``builder``, or defined in the module named ``builder``) with the code
    version of that module's source closure on every asset key."""
    module = builder if isinstance(builder, str) else builder.__module__
    version = tree.version(module)
    return [a.map_asset_specs(lambda spec: spec.replace_attributes(code_version=version)) for a in assets]
