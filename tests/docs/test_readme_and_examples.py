"""Code in the README and in examples/ runs as shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def python_blocks(markdown: Path) -> list[str]:
    return PYTHON_BLOCK.findall(markdown.read_text(encoding="utf-8"))


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("markdown", markdown_files(), ids=lambda p: p.name)
def test_every_python_block_in_the_docs_runs(
    markdown: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    namespace: dict[str, object] = {"__name__": f"doc_{markdown.stem}"}
    for block in python_blocks(markdown):
        exec(compile(block, str(markdown), "exec"), namespace)


def standalone_examples() -> list[Path]:
    return sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("example", standalone_examples(), ids=lambda p: p.name)
def test_every_example_script_runs(example: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(example)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
