"""Every command and code block of README.md is exercised.

The rules, so that whoever edits the README can keep this test true:

- A command a reader is meant to type goes in a fenced block (inline code in prose is not run:
  keep it to names, options and paths).
- Every fenced block names its language. ``python`` blocks are run; ``bash`` / ``sh`` / ``shell``
  / ``console`` blocks are commands; ``text`` (also ``output``, ``toml``, ``json``, ``yaml``) blocks
  are shown, not run: use them for output and sketches only.
- Python blocks and the commands of shell blocks run in README order in one temporary folder that
  holds a copy of ``data/sample`` and a ``.venv`` link to the virtualenv running the tests (so
  ``.venv/bin/ocrframe`` works as written), with no API key set: everything runs on the embedded
  engine. Python blocks share one namespace, like a notebook. The answer cache is the test
  session's (see ``conftest.py``), so the sample's scans are read by OCR once per session.
- A command may chain parts with ``&&``. Parts that make a virtualenv (``-m venv``), install
  (``pip install``) or run the test suite (``pytest``, ``.ci/run``) are left to CI: the whole
  command must then appear, word for word, as a line of ``.ci/run`` (pip's ``-q`` / ``--quiet``
  aside). The other parts of the same command are run here.
- A command that starts the engine's server (``ocrframe serve ...``) is run until it says it is
  listening, then stopped; later commands cannot talk to it (show such a pair in one Python block
  instead if it matters).
- A command that opens JupyterLab (``jupyter lab PATH``) is not left running: the paths it names
  must exist, and where JupyterLab is installed (the ``notebook`` extra, as in CI) the same
  command with ``--version`` must succeed.
- The first command is the quick start: it makes a virtualenv, installs ocrframe with the
  ``engine`` extra and runs ``ocrframe extract data/sample...``. The second runs the tests.

``OCRFRAME_README=/path/to/draft.md`` checks another file (a draft) by the same rules.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = Path(os.environ.get("OCRFRAME_README") or ROOT / "README.md")
CI_SCRIPT = ROOT / ".ci" / "run"

PYTHON_LANGS = frozenset({"python", "py", "python3"})
SHELL_LANGS = frozenset({"bash", "sh", "shell", "console"})
SHOWN_LANGS = frozenset({"text", "output", "toml", "json", "yaml", "ini"})

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_CI_ONLY = re.compile(r"(-m\s+venv\b|\bpip3?\s+install\b|\bpytest\b|\.ci/run\b)")
_QUIET = frozenset({"-q", "--quiet"})


@dataclass(frozen=True)
class Block:
    """One fenced block: its language (first word of the info string), text and first line."""

    lang: str
    code: str
    line: int


def fenced_blocks(markdown: str) -> list[Block]:
    """The fenced code blocks of ``markdown``, in order."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, indent = m.group("fence"), len(m.group("indent"))
        lang = (m.group("info").strip().split() or [""])[0].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        blocks.append(Block(lang, "\n".join(body) + "\n", i + 1))
        i = j + 1
    return blocks


def shell_commands(code: str) -> list[str]:
    """The commands of a shell block: continuations joined, comments, prompts and blanks dropped."""
    commands: list[str] = []
    pending = ""
    for raw in code.splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending and line.startswith("$ "):
            line = line[2:]
        if pending:
            line = line.strip()
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        commands.append((pending + line).strip())
        pending = ""
    if pending.strip():
        commands.append(pending.strip())
    return commands


def chain_parts(command: str) -> list[str]:
    """The parts of ``a && b && c``."""
    return [part.strip() for part in command.split("&&") if part.strip()]


def is_ci_only(part: str) -> bool:
    """Whether a command part is CI's business (a virtualenv, an install, the test suite)."""
    return _CI_ONLY.search(part) is not None


def normalise(command: str) -> str:
    """A command with its words re-joined by single spaces and pip's quiet flags dropped."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        words = command.split()
    return " ".join(shlex.quote(w) for w in words if w not in _QUIET)


def ci_commands(script: str) -> set[str]:
    """Every line of a CI script, normalised."""
    return {normalise(line) for line in shell_commands(script)}


# --- the parsers, on literal text ---------------------------------------------------------------


def test_parsers_on_literal_markdown() -> None:
    text = textwrap.dedent(
        """\
        Intro.

        ```bash
        # a comment
        $ python3 -m venv .venv && .venv/bin/pip install -e '.[engine]'
        .venv/bin/ocrframe extract data \\
            --out out
        ```

        ~~~python title="x"
        print("````")
        ~~~

        ```
        no language
        ```
        """
    )
    blocks = fenced_blocks(text)
    assert [(b.lang, b.line) for b in blocks] == [("bash", 3), ("python", 10), ("", 14)]
    assert blocks[1].code == 'print("````")\n'
    commands = shell_commands(blocks[0].code)
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -e '.[engine]'",
        ".venv/bin/ocrframe extract data --out out",
    ]
    assert [is_ci_only(p) for p in chain_parts(commands[0])] == [True, True]
    assert not is_ci_only(commands[1])
    assert normalise("pip  install -q -e '.[test]'") == "pip install -e '.[test]'"


# --- the README ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    return fenced_blocks(README.read_text(encoding="utf-8"))


def _commands(blocks: list[Block]) -> list[str]:
    return [c for b in blocks if b.lang in SHELL_LANGS for c in shell_commands(b.code)]


def test_every_block_names_a_known_language(blocks: list[Block]) -> None:
    known = PYTHON_LANGS | SHELL_LANGS | SHOWN_LANGS
    unknown = [(b.line, b.lang) for b in blocks if b.lang not in known]
    assert unknown == [], f"{README.name}: blocks (line, language) of no known language"


def test_quick_start_then_tests_come_first(blocks: list[Block]) -> None:
    commands = _commands(blocks)
    assert len(commands) >= 2, "the quick start and the test command"
    first, second = commands[0], commands[1]
    assert "-m venv" in first and "[engine]" in first, first
    assert re.search(r"ocrframe extract data/sample\b", first), first
    assert "[test]" in second and "pytest" in second, second


def test_ci_runs_every_install_and_test_command(blocks: list[Block]) -> None:
    in_ci = ci_commands(CI_SCRIPT.read_text(encoding="utf-8"))
    missing = [
        c
        for c in _commands(blocks)
        if any(is_ci_only(p) for p in chain_parts(c)) and normalise(c) not in in_ci
    ]
    assert missing == [], f"commands of {README.name} that .ci/run does not run word for word"


# The steps run under a main guard: a README block that starts worker processes (a Dask
# LocalCluster) spawns interpreters that import this script, and must not run the steps again.
_DRIVER = r"""
import json, subprocess, sys, traceback


def main():
    steps = json.load(open(sys.argv[1], encoding="utf-8"))
    namespace = {"__name__": "__readme__"}
    for step in steps:
        where = f"README line {step['line']}"
        if step["kind"] == "python":
            try:
                exec(compile(step["code"], where, "exec"), namespace)
            except BaseException:
                traceback.print_exc()
                print(f"FAILED: python block at {where}", file=sys.stderr)
                sys.exit(1)
        elif step["kind"] == "server":
            proc = subprocess.Popen(
                ["bash", "-c", "exec " + step["code"]], stdout=subprocess.PIPE, text=True
            )
            line = proc.stdout.readline()  # the server prints one line once it accepts connections
            proc.terminate()
            proc.wait(timeout=30)
            if "listening on http://" not in line:
                print(f"FAILED: server at {where} said {line!r}", file=sys.stderr)
                sys.exit(1)
        elif step["kind"] == "ui":
            import importlib.util, os, shlex

            words = shlex.split(step["code"])
            paths = [w for w in words[2:] if not w.startswith("-")]
            missing = [p for p in paths if not os.path.exists(p)]
            if missing:
                print(f"FAILED: {where} names paths that do not exist: {missing}", file=sys.stderr)
                sys.exit(1)
            if importlib.util.find_spec("jupyterlab") is not None:
                done = subprocess.run(words + ["--version"], timeout=120)
                if done.returncode != 0:
                    print(f"FAILED: {where}: {step['code']} --version", file=sys.stderr)
                    sys.exit(1)
        else:
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", step["code"]], timeout=300)
            if done.returncode != 0:
                print(f"FAILED: command at {where}: {step['code']}", file=sys.stderr)
                sys.exit(1)
    print("README OK")


if __name__ == "__main__":
    main()
"""


def test_readme_examples_run(blocks: list[Block], tmp_path: Path, shared_cache: Path) -> None:
    steps: list[dict[str, object]] = []
    for block in blocks:
        if block.lang in PYTHON_LANGS:
            steps.append({"kind": "python", "code": block.code, "line": block.line})
        elif block.lang in SHELL_LANGS:
            for command in shell_commands(block.code):
                runnable = [p for p in chain_parts(command) if not is_ci_only(p)]
                if runnable:
                    code = " && ".join(runnable)
                    kind = "server" if re.search(r"\bocrframe serve\b", code) else "shell"
                    if re.search(r"\bjupyter[ -]lab\b", code):
                        kind = "ui"
                    steps.append({"kind": kind, "code": code, "line": block.line})
    if not steps:
        pytest.skip(f"{README.name} has nothing to run")
    work = tmp_path / "work"
    shutil.copytree(ROOT / "data" / "sample", work / "data" / "sample")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    (work / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "steps.json").write_text(json.dumps(steps), encoding="utf-8")
    (tmp_path / "driver.py").write_text(_DRIVER, encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCAI_", "CAPSOLVER_", "OCRFRAME_"))
    }
    env.update(
        OCRFRAME_CACHE_DIR=str(shared_cache),
        MPLBACKEND="Agg",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),  # `python -m tools.make_sample` works as from the repository
    )
    done = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py"), str(tmp_path / "steps.json")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "README OK" in done.stdout


def test_readme_python_runs_twice_in_one_folder(blocks: list[Block], tmp_path: Path) -> None:
    """The README's Python, run twice in the same folder with fresh answers the second time.

    The second run's answers differ from the first's (a fresh cache: new file ids), so anything
    a re-run leaves behind (a dataset that keeps the old rows, say) breaks its round trip. To
    keep this quick the folder holds the born-digital sample invoices only.
    """
    steps = [
        {"kind": "python", "code": b.code, "line": b.line} for b in blocks if b.lang in PYTHON_LANGS
    ]
    work = tmp_path / "work"
    sample = work / "data" / "sample"
    shutil.copytree(ROOT / "data" / "sample", sample, ignore=shutil.ignore_patterns("scan-*"))
    (tmp_path / "steps.json").write_text(json.dumps(steps), encoding="utf-8")
    (tmp_path / "driver.py").write_text(_DRIVER, encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCAI_", "CAPSOLVER_", "OCRFRAME_"))
    }
    env.update(MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    for run in ("first", "second"):
        env["OCRFRAME_CACHE_DIR"] = str(tmp_path / f"cache-{run}")
        done = subprocess.run(
            [sys.executable, str(tmp_path / "driver.py"), str(tmp_path / "steps.json")],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, run + done.stdout[-3000:] + done.stderr[-5000:]
        assert "README OK" in done.stdout
