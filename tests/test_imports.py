"""coach's modules import one another without a circle (STYLE.md, principle 12).

Every import counts: at the top, inside a function, under `if TYPE_CHECKING:`, relative or not.
A circle means one of the modules holds two jobs; the test prints each circle it finds.
"""

import ast
from pathlib import Path

COACH = Path(__file__).resolve().parent.parent / "coach"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(COACH.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.Module, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The coach modules `name` imports anywhere in its file (a package's names resolve to its modules)."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from coach.store import database` imports the module coach.store.database.
            targets = [f"{source}.{alias.name}" for alias in node.names
                       if f"{source}.{alias.name}" in modules] or [source]
        else:
            continue
        for target in targets:
            # `import coach.store.database` runs coach.store too; the nearest coach module stands for it.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("coach") and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in COACH.rglob("*.py")}
    modules = set(files)
    return {name: imported(ast.parse(path.read_text(), str(path)), name,
                           path.name == "__init__.py", modules)
            for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles of each strongly connected group of modules (Tarjan): for each member, a shortest
    path from it back to itself, each circle once."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    found = []
    for group in groups:
        for start in group:
            circle = circle_through(graph, start, set(group))
            if not any(set(circle) == set(other) for other in found):
                found.append(circle)
    return found


def circle_through(graph, start, members):
    """A shortest path from `start` back to itself through `members`."""
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for nxt in sorted(graph[path[-1]] & members):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                paths.append(path + [nxt])
    return [start]


def test_the_graph_sees_imports_at_any_level():
    graph = import_graph()
    assert "coach.counting" in graph["coach.session"]
    assert graph["coach.store"] >= {"coach.store.database"}


def test_no_module_of_coach_imports_itself_back():
    found = cycles(import_graph())
    for circle in found:
        print(" -> ".join(circle))
    assert not found, f"{len(found)} import circle(s): " + "; ".join(" -> ".join(c) for c in found)
