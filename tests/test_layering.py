"""The package's import structure, read from its source: layers, the emulator's isolation, no cycles,
and a stated reason for every import made inside a function.

The layers, highest first. A module may import from its own unit (the package or top-level module it
belongs to) and from any lower layer, never from a higher one. Units sharing a layer are independent
of each other, except for the pairs in SAME_LAYER; the base modules are small utilities that may use
one another (the cycle check keeps them honest).

- entry: `python -m spotify_merger`, then the Typer app, which only wires up the commands;
- commands: one thin function per command (parse options, call one library function, report errors);
- pipeline, demo, export, masters, user_rules: a whole `run` (fetch, analyze, report, confirm,
  write, verify), the demo's run of it against the built-in emulator, `export` (playlists and the
  master, from the store), the commands on a master already written (verify, undo, sync), and the
  user's match rules;
- sync: keeping a written master in step with its sources (read, plan the delta, write it through
  the write journal and writer, report it), so above write and report, which it uses;
- write, report: the side effects of a plan: writing it to Spotify, and the files and terminal
  report that describe it;
- analyze: deduplication and the merge plan, from the stored library;
- fetch, safe_csv: reading the sources from Spotify into the store; the one rule for CSV cells;
- store, spotify: the DuckDB file, and the Web API client with its auth and call policy;
- base: the Environment, the domain errors and exit codes, secret redaction, progress display,
  the rule for outside text (display, the safe console, safe log lines) and settings checks that
  every layer above prints or reads through, and where the data and settings live (home).

The emulator stands outside the layers: it imports nothing of the package but itself, and only the
demo and the `emulator` command import it (tests and benchmarks may too), so the product never
depends on a fake Spotify.

Cycles are found among modules (not units), over every import: module-level, inside functions and
under `if TYPE_CHECKING:`, since moving an import into a function hides a cycle without removing it.
An import inside a function needs a comment saying why it is not at the top (for example, keeping
`--help` fast): on its own line(s), or on a comment line just before its run of consecutive imports.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE = "spotify_merger"
SRC = Path(__file__).resolve().parent.parent / "src"

LAYERS: list[tuple[str, ...]] = [
    ("__main__",),
    ("cli",),
    ("commands",),
    ("pipeline", "demo", "export", "masters", "user_rules"),
    ("sync",),
    ("write", "report"),
    ("analyze",),
    ("fetch", "safe_csv"),
    ("store", "spotify"),
    (
        "context",
        "errors",
        "redaction",
        "progress",
        "display",
        "console",
        "logs",
        "settings",
        "home",
        "__init__",
    ),
]
BASE = LAYERS[-1]
# (importer, imported) within one layer, with the reason it is not a layer violation.
SAME_LAYER = {
    ("demo", "pipeline"): "the demo is the pipeline's run against the built-in emulator",
}
EMULATOR = "emulator"
EMULATOR_USERS = {f"{PACKAGE}.demo", f"{PACKAGE}.commands.emulator"}


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module names; the importer is always inside the package
    imported: str
    internal: bool  # the imported module is inside the package too
    line: int
    in_function: bool
    explained: bool  # a comment on its line(s), or a comment line just before its run of imports

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def module_names(src: Path) -> dict[str, Path]:
    found = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def unit(module: str) -> str:
    """The package or top-level module below `spotify_merger` that `module` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules an import statement loads (`from a import b` loads a.b when b is a package module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        base = importer.split(".")[: None if is_package else -1]
        base = base[: len(base) - node.level + 1]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    if target.split(".")[0] != PACKAGE:
        return {target}
    submodules = {f"{target}.{alias.name}" for alias in node.names} & known
    return submodules | ({target} if len(submodules) < len(node.names) else set())


@cache
def scan(src: Path) -> list[Import]:
    """Every import in the package, wherever it stands in the code."""
    known = module_names(src)
    return [imp for module, path in known.items() for imp in _scan_module(module, path, set(known))]


def _scan_module(module: str, path: Path, known: set[str]) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    collector = _Collector(module, path.name == "__init__.py", known, *_comment_lines(source))
    collector.statements(ast.parse(source).body, in_function=False)
    return collector.found


def _comment_lines(source: str) -> tuple[set[int], set[int]]:
    """The lines with a comment, and those that hold nothing but a comment."""
    comments: set[int] = set()
    own_line: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments.add(tok.start[0])
            if not tok.line[: tok.start[1]].strip():
                own_line.add(tok.start[0])
    return comments, own_line


@dataclass
class _Collector:
    module: str
    is_package: bool
    known: set[str]
    comments: set[int]
    own_line: set[int]
    found: list[Import] = field(default_factory=list)

    def statements(self, body: list[ast.stmt], in_function: bool) -> None:
        run_start = 0  # first line of the current run of consecutive import statements
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                run_start = run_start or stmt.lineno
                self.add(stmt, in_function, run_start)
            else:
                run_start = 0
                self.nested(stmt, in_function or isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef))

    def add(self, stmt: ast.Import | ast.ImportFrom, in_function: bool, run_start: int) -> None:
        lines = range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)
        explained = bool(self.comments.intersection(lines)) or run_start - 1 in self.own_line
        for target in sorted(_targets(stmt, self.module, self.is_package, self.known)):
            internal = target.split(".")[0] == PACKAGE
            self.found.append(Import(self.module, target, internal, stmt.lineno, in_function, explained))

    def nested(self, node: ast.AST, in_function: bool) -> None:
        """The statement lists inside `node` (bodies, branches, handlers), however deep."""
        for _name, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            if children and all(isinstance(c, ast.stmt) for c in children):
                self.statements(children, in_function)
                continue
            for child in children:
                if isinstance(child, ast.AST):
                    self.nested(child, in_function)


# -- the rules, as functions of the scan, so the tests below can also show that they catch things --


def layer_violations(imports: list[Import]) -> list[str]:
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    wrong = []
    for imp in filter(lambda i: i.internal, imports):
        a, b = unit(imp.importer), unit(imp.imported)
        if a == b or EMULATOR in (a, b) or a not in rank or b not in rank:
            continue
        same_layer_ok = (a, b) in SAME_LAYER or (a in BASE and b in BASE)
        if rank[b] < rank[a] or (rank[b] == rank[a] and not same_layer_ok):
            wrong.append(f"{imp} ({a} may not import {b})")
    return wrong


def unplaced_units(modules: list[str]) -> list[str]:
    placed = {name for layer in LAYERS for name in layer} | {EMULATOR}
    return sorted({unit(m) for m in modules} - placed)


def emulator_violations(imports: list[Import]) -> list[str]:
    wrong = []
    for imp in filter(lambda i: i.internal, imports):
        inside, target = unit(imp.importer) == EMULATOR, unit(imp.imported) == EMULATOR
        if inside and not target:
            wrong.append(f"{imp} (the emulator imports only itself)")
        if target and not inside and imp.importer not in EMULATOR_USERS:
            wrong.append(f"{imp} (only {', '.join(sorted(EMULATOR_USERS))} use the emulator)")
    return wrong


def cycles(imports: list[Import]) -> list[list[str]]:
    """The import cycles among modules: each set of modules that all reach one another."""
    graph: dict[str, set[str]] = {}
    for imp in filter(lambda i: i.internal, imports):
        graph.setdefault(imp.importer, set()).add(imp.imported)

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            fresh = graph.get(todo.pop(), set()) - seen
            seen |= fresh
            todo.extend(fresh)
        return seen

    reach = {module: reachable(module) for module in graph}
    found = {frozenset(n for n in reach[m] if m in reach.get(n, ())) for m in graph if m in reach[m]}
    return sorted(sorted(component) for component in found)


def unexplained(imports: list[Import]) -> list[str]:
    silent = {(imp.importer, imp.line) for imp in imports if imp.in_function and not imp.explained}
    return [f"{module}:{line}" for module, line in sorted(silent)]


# -- the package as it is ---------------------------------------------------------------------------


def test_every_unit_of_the_package_has_a_layer() -> None:
    modules = list(module_names(SRC))
    assert len(modules) > 30, "the scan did not find the package"
    assert unplaced_units(modules) == [], "place the new package or module in LAYERS (with a reason)"


def test_imports_point_down_the_layers() -> None:
    wrong = layer_violations(scan(SRC))
    assert not wrong, "\n".join(wrong)


def test_the_emulator_stands_apart() -> None:
    wrong = emulator_violations(scan(SRC))
    assert not wrong, "\n".join(wrong)


def test_there_are_no_import_cycles() -> None:
    found = cycles(scan(SRC))
    assert found == [], "\n".join(" <-> ".join(c) for c in found)


def test_imports_inside_functions_say_why() -> None:
    silent = unexplained(scan(SRC))
    assert not silent, "add a comment saying why these imports are not at the top:\n" + "\n".join(silent)


# -- the rules catch what they should -----------------------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in {"__init__.py": "", **files}.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_rules_catch_upward_imports_cycles_and_silent_function_imports(tmp_path: Path) -> None:
    src = _package(
        tmp_path,
        {
            "errors.py": "from spotify_merger.store import db\n",
            "store/__init__.py": "",
            "store/db.py": "import spotify_merger.errors\n",
            "fetch/__init__.py": "def f():\n    from spotify_merger import pipeline\n    import json\n",
            "analyze/__init__.py": (
                "def g():\n    # only the plan needs it\n    from . import model\n    from .model import Plan\n"
                "    if True:\n        import spotify_merger.analyze.model  # why: typing\n"
                "    from spotify_merger.emulator import Emulator\n"
            ),
            "analyze/model.py": "class Plan: ...\n",
            "pipeline.py": "from .store.db import x\n",
            "demo.py": "from spotify_merger.emulator import Emulator\nfrom spotify_merger import pipeline\n",
            "emulator/__init__.py": "from spotify_merger.errors import E\n",
            "later.py": "",
        },
    )
    imports = scan(src)
    assert {str(i) for i in imports} >= {
        "spotify_merger.pipeline:1 imports spotify_merger.store.db",  # relative import, resolved
        "spotify_merger.analyze:3 imports spotify_merger.analyze.model",  # `from . import module`
    }
    assert layer_violations(imports) == [
        "spotify_merger.errors:1 imports spotify_merger.store.db (errors may not import store)",
        "spotify_merger.fetch:2 imports spotify_merger.pipeline (fetch may not import pipeline)",
    ]
    assert emulator_violations(imports) == [
        "spotify_merger.analyze:7 imports spotify_merger.emulator (only spotify_merger.commands.emulator,"
        " spotify_merger.demo use the emulator)",
        "spotify_merger.emulator:1 imports spotify_merger.errors (the emulator imports only itself)",
    ]
    assert cycles(imports) == [["spotify_merger.errors", "spotify_merger.store.db"]]
    # Line 4 shares line 3's run (and its comment line); line 6 has its own comment, which does not
    # explain line 7; lines 2 and 3 (a library import is no exception) have none.
    assert unexplained(imports) == [
        "spotify_merger.analyze:7",
        "spotify_merger.fetch:2",
        "spotify_merger.fetch:3",
    ]
    assert unplaced_units(list(module_names(src))) == ["later"]
