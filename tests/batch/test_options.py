"""The options agree everywhere: the options type, extract's signature, the CLI, the widgets and
the README's options table (in the spirit of sqlite-utils' test_docs.py)."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

from click.testing import CliRunner

import ocrframe
from ocrframe._batch import DEFAULTS, OPTIONS, BatchOptions, make_options
from ocrframe.cli import FLAGS, main

README = Path(__file__).resolve().parents[2] / "README.md"
# extract's parameters that are not options of a run: what to read and how to connect.
NOT_OPTIONS = {"paths", "api_key", "base_url", "transport"}


def _readme_rows() -> dict[tuple[str, ...], str]:
    """The README's options table: names of each row -> its default cell."""
    text = README.read_text()
    start = text.index("The options of `ocrframe.extract`")
    rows: dict[tuple[str, ...], str] = {}
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = tuple(re.findall(r"`([a-z_]+)`", cells[0]))
        if names:
            rows[names] = cells[1]
    return rows


def test_the_options_type_is_the_one_list() -> None:
    names = [f.name for f in dataclasses.fields(BatchOptions)]
    assert list(OPTIONS) == names == list(DEFAULTS)
    assert list(inspect.signature(make_options).parameters) == names


def test_extract_takes_every_option_with_its_default() -> None:
    for function in (ocrframe.extract, ocrframe.extract_async):
        params = inspect.signature(function).parameters
        assert set(params) - NOT_OPTIONS == set(OPTIONS), function.__name__
        for name in OPTIONS:
            assert params[name].default == DEFAULTS[name], name
    made = inspect.signature(make_options).parameters
    assert {name: made[name].default for name in OPTIONS} == dict(DEFAULTS)


def test_make_options_defaults_are_the_options_defaults() -> None:
    options = make_options()
    for name, default in DEFAULTS.items():
        assert getattr(options, name) == default, name


def test_the_cli_has_a_flag_for_every_option_and_help_lists_them() -> None:
    assert set(FLAGS) == set(OPTIONS)
    result = CliRunner().invoke(main, ["extract", "--help"])
    assert result.exit_code == 0, result.output
    for name, flag in FLAGS.items():
        assert flag in result.output, f"{name}: {flag} missing from extract --help"
    assert "--poll-interval" in result.output


def test_cli_defaults_are_the_options_defaults() -> None:
    command = main.commands["extract"]
    by_name = {p.name: p for p in command.params}
    for name, flag in FLAGS.items():
        param = by_name.get(flag.lstrip("-").replace("-", "_"))
        if param is None or flag != f"--{name.replace('_', '-')}":
            continue  # a flag in other units or spelled otherwise (--max-file-mb, --no-progress)
        if param.required or not isinstance(param.default, int | float | str):
            continue  # no default of its own (required, or none: the option's None)
        if isinstance(param.default, bool) and param.default is False:
            assert DEFAULTS[name] is False, name
        else:
            assert param.default == DEFAULTS[name], name


def test_the_readme_table_lists_every_option_with_its_default() -> None:
    rows = _readme_rows()
    listed = [name for names in rows for name in names]
    assert sorted(listed) == sorted(OPTIONS), "README options table and BatchOptions differ"
    for names, default in rows.items():
        said = ", ".join(t for t in (OPTIONS[n].default_text for n in names) if t)
        assert default == said, f"README default of {names}: {default!r}, options say {said!r}"


def test_the_panel_takes_its_defaults_from_the_options() -> None:
    from ocrframe.widgets import panel

    p = panel(".", model="invoice")
    assert p.service.value == DEFAULTS["service"]
    assert p.concurrency.value == DEFAULTS["concurrency"]
    assert p.refresh.value == DEFAULTS["refresh"]
