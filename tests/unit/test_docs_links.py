"""Every link in the documentation and every citation of it in the code points at what exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.docs import ROOT, anchor, anchors, broken_citations, broken_links

DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "benchmarks" / "README.md",
        ROOT / "sandbox" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)
SOURCE_DIRS = ("handler", "sandbox", "tests", "scripts", "benchmarks", "statemachine", "layers")
SOURCE_SUFFIXES = {".py", ".sh", ".yaml", ".yml", ".toml", ".json", ".txt"}
VENDORED = ROOT / "tests" / "contract" / "intercom-openapi"  # Intercom's files, not ours


def _sources() -> list[Path]:
    found = [ROOT / name for name in ("Makefile", "template.yaml", "pyproject.toml")]
    for directory in SOURCE_DIRS:
        found += [
            path
            for path in (ROOT / directory).rglob("*")
            if path.suffix in SOURCE_SUFFIXES
            and path.is_file()
            and "__pycache__" not in path.parts
            and VENDORED not in path.parents
        ]
    return sorted(found)


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    assert broken_links(doc) == []


def test_the_code_cites_only_files_and_sections_that_exist() -> None:
    sources = _sources()
    assert ROOT / "handler" / "intercom_update" / "models" / "output.py" in sources
    broken = [problem for source in sources for problem in broken_citations(source)]
    assert broken == []


def test_the_readme_leads_to_the_contract_and_its_unverified_assumptions() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/contract.md)" in readme
    assert "](docs/reliability.md)" in readme
    assert "](docs/contract.md#what-we-could-not-verify-without-a-live-workspace)" in readme


# -- the checks themselves: each one fails on what it is meant to catch ----------------------


def test_anchors_are_made_as_github_makes_them() -> None:
    assert anchor("Direct (`UpdateUserFunction`)") == "direct-updateuserfunction"
    assert anchor('1. Store the Intercom token (the "connected account")') == (
        "1-store-the-intercom-token-the-connected-account"
    )
    assert anchors("# Notes\n\n## Notes\n\n```\n# not a heading\n```\n") == {"notes", "notes-1"}


def test_a_missing_file_or_heading_is_reported(tmp_path: Path) -> None:
    # Names are built at run time, so that this file's own text cites nothing that is missing.
    target, missing, ignored = (f"{stem}.md" for stem in ("target", "missing", "ignored"))
    (tmp_path / target).write_text("# Target\n\n## Kept section\n", encoding="utf-8")
    doc = tmp_path / "doc.txt"
    doc.write_text(
        f"[ok]({target}) [ok]({target}#kept-section) [ok](#own) [web](https://example.com/{target})\n"
        f"[gone]({missing}) [gone]({target}#dropped-section) [gone](#nowhere)\n"
        f"`[code]({ignored})`\n\n```\n[code]({ignored})\n```\n\n## Own\n",
        encoding="utf-8",
    )

    assert broken_links(doc) == [
        f"doc.txt: {missing} (no such file)",
        f"doc.txt: {target}#dropped-section (no such heading)",
        "doc.txt: #nowhere (no such heading)",
    ]


def test_a_citation_of_a_missing_file_or_section_is_reported(tmp_path: Path) -> None:
    guide, gone = "docs/guide" + ".md", "docs/gone" + ".md"
    (tmp_path / "docs").mkdir()
    (tmp_path / guide).write_text("# Guide\n\n## Output\n", encoding="utf-8")
    source = tmp_path / "module.py"
    source.write_text(
        f'"""See {guide} "Output" and {guide}."""\n# {guide} "Inputs", {gone}, guide{guide[-3:]}\n',
        encoding="utf-8",
    )

    assert broken_citations(source, root=tmp_path) == [
        f'module.py: {guide} "Inputs" (no such heading)',
        f"module.py: {gone} (no such file)",
        f"module.py: guide{guide[-3:]} (no such file)",
    ]
