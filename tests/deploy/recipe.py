"""Reads deploy/Dockerfile and deploy/docker-compose.yml into the pieces the deploy tests check."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
PROBE_URL = "http://127.0.0.1:8000/healthz"

_DEFAULTED = re.compile(r"\$\{(\w+):?-([^}]*)\}")
_BARE = re.compile(r"\$\{?\w+")
_BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc")  # .dockerignore drops them too


@dataclass(frozen=True, slots=True)
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args_of(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def with_defaults(text: str) -> str:
    """`${VAR:-default}` as the shell or compose expands it when VAR is unset; bare `$VAR` fails."""
    expanded = _DEFAULTED.sub(lambda m: m.group(2), text)
    if _BARE.search(expanded.replace("$$", "")):
        raise ValueError(f"a variable without a default in {text!r}")
    return expanded


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # Docker drops comment lines, also inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    return lines


def dockerfile_stages(text: str | None = None) -> list[Stage]:
    source = DOCKERFILE.read_text() if text is None else text
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(source):
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "ARG" and not stages:
            name, _, default = args.partition("=")
            global_args[name] = default
        elif keyword == "FROM":
            base, *alias = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], args).split()
            stages.append(Stage(base, alias[-1] if alias else None))
        else:
            stages[-1].instructions.append((keyword, args))
    return stages


def stage_named(name: str) -> Stage:
    return next(stage for stage in dockerfile_stages() if stage.name == name)


def final_stage() -> Stage:
    return dockerfile_stages()[-1]


def exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list), f"not an exec-form instruction: {args}"
    return [str(item) for item in parsed]


def healthcheck_command() -> list[str]:
    (args,) = final_stage().args_of("HEALTHCHECK")
    _, _, command = args.partition("CMD ")
    return exec_form(command)


def probe(port: int, python: str = sys.executable) -> int:
    """Run the image's HEALTHCHECK command against a loopback port; its exit code."""
    program, flag, code = healthcheck_command()
    assert (program, flag) == ("python", "-c") and PROBE_URL in code
    code = code.replace(PROBE_URL, f"http://127.0.0.1:{port}/healthz")
    return subprocess.run([python, "-c", code], capture_output=True, timeout=10).returncode


def shell_script(form: list[str]) -> str:
    assert form[:2] == ["sh", "-c"], f"expected sh -c, got {form}"
    return form[2]


def cmd_argv() -> list[str]:
    """The CMD's command line as the shell runs it with every variable unset."""
    (args,) = final_stage().args_of("CMD")
    words = shlex.split(with_defaults(shell_script(exec_form(args))))
    return words[1:] if words[0] == "exec" else words


def run_command(args: str) -> str:
    """A RUN line without its BuildKit flags (--mount=..., --network=...)."""
    words = args.split(" ")
    while words and words[0].startswith("--"):
        words.pop(0)
    return " ".join(words).strip()


def replay_copies(stage: Stage, workdir: Path) -> None:
    """Do the stage's context COPYs into `workdir`, which stands for its WORKDIR."""
    for args in stage.args_of("COPY"):
        *sources, dest = shlex.split(args)
        assert not any(s.startswith("--") for s in sources), f"unsupported COPY flags: {args}"
        target = workdir / dest
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True, ignore=_BYTECODE)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target if dest.endswith("/") else target / origin.name)


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as the container sees it when no variable is set on the host."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {name: with_defaults(str(value)) for name, value in env.items()}


def lock_versions(lock: str = "requirements.lock") -> dict[str, str]:
    """Name -> version of a hashed lock's pins (`name==version [; marker] \\`)."""
    text = (ROOT / lock).read_text()
    pins = re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)", text, re.MULTILINE)
    return {normalise(name): version for name, version in pins}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
