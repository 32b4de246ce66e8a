"""Reading deploy/Dockerfile's final stage as data, so the tests that replay the image without Docker follow the
file and cannot drift from it: the COPY lines, the `pip install` line, WORKDIR, ENV and CMD."""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# MEDALLION_TEST_DOCKERFILE replays another file (e.g. an older version, to see the image test fail on it)
DOCKERFILE = Path(os.environ.get("MEDALLION_TEST_DOCKERFILE") or REPO / "deploy" / "Dockerfile")


@dataclass
class Stage:
    base: str
    name: str | None
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[str | None, list[str], str, str]] = field(default_factory=list)  # (from, sources, dest, workdir)
    runs: list[tuple[str, str]] = field(default_factory=list)  # (command, workdir it runs in)
    cmd: list[str] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def stages(text: str | None = None) -> list[Stage]:
    text = DOCKERFILE.read_text() if text is None else text
    result: list[Stage] = []
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            parts = rest.split()
            result.append(Stage(base=parts[0], name=parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None))
            continue
        stage = result[-1]
        if keyword == "WORKDIR":
            stage.workdir = str(Path(stage.workdir, rest))
        elif keyword == "ENV":
            stage.env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
        elif keyword == "COPY":
            words = shlex.split(rest)
            source_stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
            paths = [w for w in words if not w.startswith("--")]
            stage.copies.append((source_stage, paths[:-1], paths[-1], stage.workdir))
        elif keyword == "RUN":
            stage.runs.append((rest, stage.workdir))
        elif keyword == "CMD":
            stage.cmd = json.loads(rest)
    return result


def install_command(stage: Stage) -> tuple[list[str], str]:
    """The arguments after `pip install` of the stage's install RUN (up to the first `&&`), and its working folder."""
    (found,) = [(cmd, wd) for cmd, wd in stage.runs if cmd.startswith("pip install ")]
    command, workdir = found
    return shlex.split(command.split("&&")[0])[2:], workdir
