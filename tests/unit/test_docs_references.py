"""Every file, module, setting and link the docs name exists: docs cannot drift from the code.

Read: README.md, docs/*.md, pyproject.toml, and the comments and docstrings of the Python
sources (for file paths). CHANGELOG.md is history and may name what is gone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
_SKIP_DIRS = {".venv", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
_TOP = r"(?:domain|ports|adapters|entrypoints|tests|deploy|docs|bench)"
_PATH = re.compile(rf"(?<![\w./-]){_TOP}/[\w./*<>-]*[\w/*>]")
_MODULE = re.compile(r"(?<![\w./-])(?:domain|ports|adapters|entrypoints|bench)(?:\.\w+)+")
_SETTING = re.compile(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`")
_SETTINGS_ATTR = re.compile(r"`Settings\.(\w+)`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)


def _files(*patterns: str) -> Iterator[Path]:
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if not _SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
                yield path


def _docs() -> list[Path]:
    return [ROOT / "README.md", ROOT / "pyproject.toml", *_files("docs/*.md")]


def _sources() -> list[Path]:
    return [p for p in _files("**/*.py") if p != Path(__file__).resolve()]


@cache
def _code_text() -> str:
    """Everything but the docs: where a setting or name must appear to exist."""
    kinds = ("**/*.py", "Makefile", "deploy/**/*.yaml", "deploy/**/*.yml", "deploy/**/Dockerfile")
    files = [p for p in _files(*kinds) if p != Path(__file__).resolve()]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def _exists(token: str) -> bool:
    token = token.rstrip("./").split("::")[0]
    if any(ch in token for ch in "*<{"):
        return True  # a pattern (`deploy/*.yaml`), not one file
    return (ROOT / token).exists()


def _module_exists(dotted: str) -> bool:
    """`a.b.c.Name`: the longest prefix that is a module, then names defined in it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        module = (
            base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
        )
        if module.exists() or (base.is_dir() and cut == len(parts)):
            rest = parts[cut:]
            if not rest:
                return True
            text = module.read_text(encoding="utf-8") if module.exists() else ""
            return bool(
                re.search(
                    rf"^\s*(?:class|def|async def)\s+{rest[0]}\b|^{rest[0]}\s*[:=]", text, re.M
                )
            )
    return False


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(h) for h in _HEADING.findall(path.read_text(encoding="utf-8"))}


def _problems_in_doc(doc: Path) -> Iterator[str]:
    text = doc.read_text(encoding="utf-8")
    where = doc.relative_to(ROOT)
    for token in _PATH.findall(text):
        if not _exists(token):
            yield f"{where}: names {token}, which does not exist"
    for dotted in _MODULE.findall(text):
        if not _module_exists(dotted):
            yield f"{where}: names the module or name {dotted}, which does not exist"
    for name in _SETTING.findall(text):
        # OTEL_*: the OpenTelemetry SDK's own variables, read by the SDK, not by our code.
        if not name.startswith("OTEL_") and name not in _code_text():
            yield f"{where}: names the setting {name}, which no code reads"
    for attribute in _SETTINGS_ATTR.findall(text):
        if not hasattr(Settings, attribute):
            yield f"{where}: names Settings.{attribute}, which does not exist"
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        linked = (doc.parent / file).resolve() if file else doc
        if not linked.exists():
            yield f"{where}: links to {target}, which does not exist"
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            yield f"{where}: links to {target}, a heading that does not exist"


def _problems_in_source(source: Path) -> Iterator[str]:
    where = source.relative_to(ROOT)
    for token in _PATH.findall(source.read_text(encoding="utf-8")):
        if token.endswith((".py", ".md", ".yaml", ".yml", ".conf", ".json")) and not _exists(token):
            yield f"{where}: names {token}, which does not exist"


def test_every_doc_names_only_what_exists() -> None:
    problems = [p for doc in _docs() for p in _problems_in_doc(doc)]
    assert problems == []


def test_every_source_comment_names_only_files_that_exist() -> None:
    problems = [p for source in _sources() for p in _problems_in_source(source)]
    assert problems == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("see `adapters/redis/nope.py`", "names adapters/redis/nope.py"),
        ("the module entrypoints.backends", "module or name entrypoints.backends"),
        ("the module entrypoints.settings.Settings_gone", "Settings_gone"),
        ("`Settings.redis_topology` builds it", "Settings.redis_topology"),
        ("set `NO_SUCH_SETTING=1`", "the setting NO_SUCH_SETTING"),
        ("[gone](missing.md)", "links to missing.md"),
        ("[gone](#no-such-heading)", "a heading that does not exist"),
    ],
)
def test_the_check_fails_on_what_does_not_exist(tmp_path: Path, text: str, found: str) -> None:
    doc = ROOT / "docs" / f"_probe_{tmp_path.name}.md"
    doc.write_text(f"# Probe\n\n{text}\n", encoding="utf-8")
    try:
        problems = list(_problems_in_doc(doc))
    finally:
        doc.unlink()
    assert any(found in problem for problem in problems), problems


def test_the_check_passes_what_exists(tmp_path: Path) -> None:
    doc = ROOT / "docs" / f"_probe_{tmp_path.name}.md"
    doc.write_text(
        "# Probe\n\n## A heading\n\n`adapters/redis/cache.py`, entrypoints.settings.Settings, "
        "`WEATHER_TTL=600`, [up](#a-heading), [arch](ARCHITECTURE.md#the-tree)\n",
        encoding="utf-8",
    )
    try:
        assert list(_problems_in_doc(doc)) == []
    finally:
        doc.unlink()
