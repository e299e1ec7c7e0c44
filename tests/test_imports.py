"""How the package hangs together: no import circle, and cheap imports where Scrapy starts."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pingan_crawler"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports, at module level or inside functions (a lazy
    import still depends on its target), leaving out ``if TYPE_CHECKING:`` blocks and the
    module's own parent packages (Python imports those first anyway)."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    me = _module_name(path)
    return {m for m in found if m in modules and m != me and not me.startswith(m + ".")}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def test_no_module_imports_one_that_imports_it_back():
    files = [p for p in PACKAGE.rglob("*.py") if "sample-sites" not in p.parts]
    modules = {_module_name(p) for p in files}
    graph = {_module_name(p): _imports(p, modules) for p in files}
    assert graph["pingan_crawler.middlewares"] >= {"pingan_crawler.failures"}  # the check sees
    assert _circles(graph) == []


def test_the_circle_check_finds_a_lazy_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


def test_importing_the_package_and_its_settings_loads_no_sqlite_zstd_or_lxml():
    code = (
        "import json, sys\n"
        "import pingan_crawler, pingan_crawler.settings\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", code], text=True)))
    heavy = {"sqlite3", "_sqlite3", "sqlite_utils", "zstandard", "lxml", "lxml.etree", "scrapy"}
    assert "pingan_crawler.settings" in loaded
    assert loaded & heavy == set()


def test_the_package_names_still_load_on_first_use():
    code = (
        "import sys, pingan_crawler\n"
        "assert 'sqlite3' not in sys.modules\n"
        "from pingan_crawler import Archive, extract, extract_article\n"
        "print(Archive.__module__, extract.__module__, extract_article.__module__)\n"
    )
    homes = subprocess.check_output([sys.executable, "-c", code], text=True).split()
    assert homes[0].startswith("pingan_crawler.storage")
    assert homes[1:] == ["pingan_crawler.pages", "pingan_crawler.parsing.article"]
