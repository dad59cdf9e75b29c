"""The dependency rule (README: Conventions): audio imports none of the others; choreography only audio; render only
choreography and audio; engine may import all."""

import ast

import pytest

from tests.conftest import ROOT

ALLOWED = {"audio": set(), "choreography": {"audio"}, "render": {"audio", "choreography"},
           "engine": {"audio", "choreography", "render"}}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for name in names:
                top = name.split(".")[0]
                if top in ALLOWED and top != package and top not in ALLOWED[package]:
                    bad.append(f"{path.relative_to(ROOT)}: imports {name}")
    assert not bad, "\n".join(bad)
