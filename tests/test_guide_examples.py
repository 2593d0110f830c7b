"""The user guide's examples run: each page's ```python blocks in order, in one namespace.

Each block is written to a file first and compiled under that name, so that the functions it
defines have source, as they would in a user's script (autograph converts from the source)."""
from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest

GUIDE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page: pathlib.Path) -> list[str]:
    """The ```python blocks of ``page``, in order."""
    return BLOCK.findall(page.read_text())


def test_guide_has_pages_with_examples():
    names = {p.name for p in PAGES}
    assert {"README.md", "getting-started.md", "tracing.md", "sharp-edges.md", "performance.md",
            "inspecting.md"} <= names
    assert sum(len(python_blocks(p)) for p in PAGES) >= 15
    readme = (GUIDE.parent.parent / "README.md").read_text()
    assert "docs/guide/" in readme, "the README links the guide"
    for page in PAGES:  # every relative link between pages leads to a page
        for target in re.findall(r"\]\(([\w.-]+\.md)\)", page.read_text()):
            assert (GUIDE / target).exists(), f"{page.name} links to missing {target}"



@pytest.mark.parametrize("page", [p for p in PAGES if p.name != "README.md"], ids=lambda p: p.stem)
def test_guide_page_examples_run(page, restored_config, tmp_path):
    blocks = python_blocks(page)
    assert blocks, f"{page.name} has no python example"
    namespace: dict = {"__name__": f"guide_{page.stem.replace('-', '_')}"}
    for number, block in enumerate(blocks, 1):
        path = tmp_path / f"{page.stem.replace('-', '_')}_{number}.py"
        path.write_text(block)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, str(path), "exec"), namespace)
