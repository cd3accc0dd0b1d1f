"""The house rules of docs/architecture.md, kept true: the import contracts (import-linter, .importlinter) and
the sizes of files and functions."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [*sorted((ROOT / "shared").rglob("*.py")), *sorted((ROOT / "functions").glob("*.py")), ROOT / "main.py"]
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 40  # a nested function (a transaction's body) counts in the function that holds it


def test_the_import_contracts_hold():
    check = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                            "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 broken" in check.stdout, check.stdout


def test_only_the_storage_imports_the_firestore_client():
    """import-linter names external packages by their top (`google`): this one is checked here."""
    found = []
    for path in PRODUCT:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
            if any(n.startswith("google.cloud.firestore") for n in names):
                found.append(str(path.relative_to(ROOT)))
    assert found and all(p.startswith("shared/storage/") for p in found), found


def test_no_product_file_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PRODUCT if (n := len(p.read_text().splitlines())) > MAX_FILE_LINES}
    assert long == {}


def test_no_function_is_over_40_lines():
    long = {}
    for path in PRODUCT:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = lines
    assert long == {}
