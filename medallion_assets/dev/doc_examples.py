"""Regenerate the examples of command output in README.md and docs/*.md from the commands themselves.

An example is a fenced block right after a marker line naming its command:

    <!-- output of: medallion status -->
    ```text
    ...what the command printed...
    ```

`python -m medallion_assets.dev.doc_examples` starts the embedded servers on free ports under a fresh
MEDALLION_HOME (never a developer's), runs `medallion pipeline --count 2000` there, then each marked command, and
writes its output into the block (`make ...` commands run in the checkout). `--check` only lists the markers.
tests/unit/test_doc_examples.py compares what can be compared without servers (the tables, layers, sensors and
schedules `medallion status` lists; `make help` exactly), so an example cannot silently go stale.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- output of: (?P<command>.+?) -->\n```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.M | re.S)
SEED_COUNT = 2000


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples(text: str) -> list[tuple[str, str]]:
    """(command, output shown) of each marked example in `text`."""
    return [(m.group("command"), m.group("body")) for m in MARKER.finditer(text)]


def _run(command: str, env: dict) -> str:
    argv = shlex.split(command)
    if argv[0] == "medallion":
        argv = [str(Path(sys.executable).parent / "medallion"), *argv[1:]]
    elif argv[0] == "make":
        argv = [*argv, "--no-print-directory"]
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    return result.stdout + result.stderr


def regenerate(paths: list[Path]) -> list[str]:
    """Run every marked command on fresh embedded servers and rewrite the blocks; returns the commands run."""
    from medallion_assets.dev import services
    from medallion_assets.lib.settings import SERVICE_VARIABLES

    with tempfile.TemporaryDirectory(prefix="medallion-doc-examples-") as folder:
        home = Path(folder)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in SERVICE_VARIABLES and not re.fullmatch(r"MEDALLION_\w+_PORT", k)
        }
        env.update(MEDALLION_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), COLUMNS="200")
        os.environ.update(MEDALLION_HOME=str(home))
        services.up(services.free_ports(), home)
        ran = []
        try:
            _run(f"medallion pipeline --count {SEED_COUNT}", env)
            for path in paths:
                text = path.read_text(encoding="utf-8")

                def fill(match: re.Match) -> str:
                    command = match.group("command")
                    ran.append(command)
                    output = _run(command, env).replace(str(home), "$MEDALLION_HOME")
                    body = output if output.endswith("\n") else output + "\n"
                    return f"<!-- output of: {command} -->\n```{match.group('lang')}\n{body}```"

                new = MARKER.sub(fill, text)
                if new != text:
                    path.write_text(new, encoding="utf-8")
        finally:
            services.down(home)
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only list the marked examples")
    args = parser.parse_args(argv)
    paths = [p for p in documents() if MARKER.search(p.read_text(encoding="utf-8"))]
    if args.check:
        for path in paths:
            for command, _ in examples(path.read_text(encoding="utf-8")):
                print(f"{path.relative_to(ROOT)}: {command}")
        return 0
    for command in regenerate(paths):
        print(f"regenerated: {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
