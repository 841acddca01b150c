"""Every command README.md shows (its ```sh blocks, and `manage.py …` in the text) names
something that exists and parses as printed: make targets (checked with `make -n`, which
also shows `make run PORT=8001` serving on that port), manage.py commands and their
arguments (parsed by the command's own parser), and a known set of outside tools. A README
command that stops working, or a new one of an unknown kind, fails here."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Deployment and PostgreSQL tools the README shows; they are not part of this project.
OUTSIDE_TOOLS = {"createdb", "curl", "export", "find", "pg_dump", "pg_restore", "sudo"}
# Named in the README as an option to install later ("Switching to Redis/RQ").
OPTIONAL_COMMANDS = {"rqworker"}


def shell_commands():
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                while words and re.match(r"^[A-Z_]+=", words[0]):  # NAME=value prefixes
                    words.pop(0)
                if words:
                    commands.append(words)
    return commands


COMMANDS = shell_commands()


def make_targets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*):", makefile, re.M))


def manage_py_commands():
    """(name, args) of every manage.py command in the sh blocks and in inline code."""
    found = [
        (words[2], words[3:])
        for words in COMMANDS
        if words[0] in {".venv/bin/python", "python"} and words[1:2] == ["manage.py"]
    ]
    for inline in re.findall(r"`(?:[^`]*\s)?manage\.py ([a-z_]+)([^`]*)`", README):
        found.append((inline[0], None))  # inline mentions may hold placeholders (FILE)
    return found


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 20
    assert ["make", "run", "PORT=8001"] in COMMANDS


@pytest.mark.parametrize("words", [w for w in COMMANDS if w[0] == "make"], ids=" ".join)
def test_make_commands_name_existing_targets_and_expand(words):
    targets = [w for w in words[1:] if "=" not in w]
    assert set(targets) <= make_targets()

    result = subprocess.run(  # noqa: S603 - argv from the README
        [*words[:1], "-n", *words[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    port = next((w.split("=", 1)[1] for w in words if w.startswith("PORT=")), None)
    if port:
        assert f"http://127.0.0.1:{port}" in result.stdout
        assert f"scripts/run.sh .venv/bin 127.0.0.1:{port}" in result.stdout


@pytest.mark.parametrize(("name", "args"), manage_py_commands(), ids=lambda v: str(v))
def test_manage_py_commands_exist_and_their_arguments_parse(name, args):
    commands = get_commands()
    if name in OPTIONAL_COMMANDS:
        pytest.skip(f"{name} comes with an optional package the README says to install")
    assert name in commands, f"README names manage.py {name}, which doesn't exist"
    if args is not None:
        parser = load_command_class(commands[name], name).create_parser("manage.py", name)
        parser.parse_args(args)  # exits (SystemExit) on arguments the command doesn't take


def test_every_other_command_is_a_known_tool_or_file():
    for words in COMMANDS:
        program = words[0]
        if program in {"make", ".venv/bin/python", "python"} or program in OUTSIDE_TOOLS:
            continue
        if program.startswith("python3"):  # the deployment's own interpreter
            assert words[1:3] == ["-m", "venv"]
            continue
        assert (ROOT / program).exists(), f"README runs {program}, which doesn't exist"
        config = words[words.index("-c") + 1] if "-c" in words else None
        assert config is None or (ROOT / config).exists()
