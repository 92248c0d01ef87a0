"""The display rule: outside text is data on every console, never markup or terminal control.

Property tests over arbitrary text (hypothesis) for the helpers and the console, plus structural
checks that no module creates a console of its own or parses markup outside the one helper.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from spotify_merger.console import SafeConsole, make_console
from spotify_merger.context import Environment
from spotify_merger.display import clean, clean_block, quote, shorten, styled

SRC = Path(__file__).resolve().parents[1] / "src" / "spotify_merger"

# What terminals act on: C0/C1 controls (ESC, CSI, OSC...), DEL, bidi overrides, lone surrogates.
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Text that stresses everything at once: controls, escape sequences, markup, surrogates, bidi.
NASTY = [
    "\udcff",
    "\ud800",
    "é",
    "字",
    "🎵",
    "\x1b[5m",
    "\x1b]8;;http://evil/\x1b\\",
    "[/]",
    "[link=x]",
    ":smile:",
]
nasty_chars = st.sampled_from([*"\x1b\x9b\x9d\x07\x00\n\r\t\x85\u2028\u202e\u2066[]/\\=@+-:", *NASTY])
hostile_text = st.lists(st.one_of(nasty_chars, st.text(max_size=5)), max_size=30).map("".join)

HOSTILE = [
    "[/]",
    "[link=http://evil.example]click me[/link]",
    "[bold]bold[/bold] [/bold]",
    "\x1b[5mBLINK\x1b[0m",
    "\x1b]8;;http://evil.example\x1b\\disguised\x1b]8;;\x1b\\",
    "\x1b]0;new window title\x07",
    "\x1b[2J\x1b[Hcleared",
    "\x9b31mc1 red\x9d0;title\x9c",
    "abc\u202egnp.exe",
    "line\nerror: fake\nhint: fake",
    ":warning: :smile:",
    "tail\\",
    "bad \udcff bytes",
    "A" * 10_000,
]


@given(hostile_text)
def test_clean_leaves_one_line_with_nothing_a_terminal_acts_on(text: str) -> None:
    out = clean(text)
    assert not UNSAFE.search(out)
    assert "\n" not in out and "\u2028" not in out
    assert clean(out) == out  # idempotent
    out.encode("utf-8")  # printable to any UTF-8 stream, even from non-UTF-8 input


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))))
def test_clean_keeps_ordinary_text_as_it_is(text: str) -> None:
    bidi = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}
    if not set(text) & bidi:
        assert clean(text) == text


def test_clean_removes_escape_sequences_whole_and_marks_lone_controls() -> None:
    assert clean("\x1b[5mBLINK\x1b[0m") == "BLINK"
    assert clean("\x1b]8;;http://evil.example\x1b\\disguised\x1b]8;;\x1b\\") == "disguised"
    assert clean("\x1b]0;title\x07rest") == "rest"
    assert clean("\x9b31mred") == "red"
    assert clean("a\nb\tc") == "a b c"
    assert clean("nul\x00byte") == "nul\ufffdbyte"
    assert clean("abc\u202egnp") == "abc\ufffdgnp"
    assert clean("bad \udcff") == "bad \ufffd"
    assert clean_block("one\x1b[5m\ntwo") == "one\ntwo"


@given(hostile_text)
def test_styled_places_values_as_plain_data(value: str) -> None:
    text = styled("[bold]{v}[/bold] and [green]{n:,}[/green]", v=value, n=1234)
    assert text.plain == f"{clean(value)} and 1,234"
    assert not any("link" in str(span.style) for span in text.spans)


def test_quote_and_shorten_bound_overlong_values() -> None:
    long = "x" * 10_000
    assert len(shorten(long, 80)) == 80 and shorten(long, 80).endswith("…")
    assert quote(long) == f"'{'x' * 79}…' (10,000 characters)"
    assert quote("short") == "'short'"
    assert quote("\x1b[5mx") == "'x'"


def render(renderable: object, *, terminal: bool) -> str:
    out = io.StringIO()
    if terminal:
        console = make_console(file=out, width=100, force_terminal=True, color_system="standard")
    else:
        console = make_console(file=out, width=100)
    console.print(renderable)
    return out.getvalue()


def terminal_escapes_are_ours(text: str) -> bool:
    """Only SGR colours/weights rich emits: no OSC (links, titles), no blink or conceal, no moves."""
    for seq in re.findall(r"\x1b(\[[0-?]*[ -/]*[@-~]|.)", text):
        if not re.fullmatch(r"\[[0-9;]*m", seq):
            return False
        if {"5", "6", "8"} & set(seq[1:-1].split(";")):
            return False
    return not re.search(r"[\x00-\x09\x0b-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_every_renderable_shows_outside_text_as_data(value: str, terminal: bool) -> None:
    table = Table(title=value, caption=value)
    table.add_column(value)
    table.add_row(value)
    table.add_row(Text(value))  # a Text built without the helpers: the console's last net
    things = [value, table, Panel(value, title=value, subtitle=value), styled("[cyan]{v}[/cyan]", v=value)]
    for thing in things:
        out = render(thing, terminal=terminal)
        assert "\x1b" not in out if not terminal else terminal_escapes_are_ours(out), repr(out[:300])
        assert "BLINK" in out or "BLINK" not in value
        if thing is not table:  # the raw Text row keeps its line break (as a line of the cell)
            for line in out.splitlines():
                assert not line.lstrip("│┃╭─ ").startswith(("error:", "hint:")), line


@settings(max_examples=60)
@given(hostile_text)
def test_the_console_never_fails_and_never_leaks_control(value: str) -> None:
    for terminal in (False, True):
        out = render(value, terminal=terminal)
        if terminal:
            assert terminal_escapes_are_ours(out)
        else:
            assert not UNSAFE.search(out.replace("\n", ""))


def test_markup_passed_explicitly_is_still_plain() -> None:
    out = io.StringIO()
    console = make_console(file=out, width=100)
    console.print("[bold]x[/bold] [/]", markup=True, emoji=True)
    console.print(":smile:", emoji=True)
    assert out.getvalue() == "[bold]x[/bold] [/]\n:smile:\n"


def test_environment_consoles_are_safe_consoles(tmp_path: Path) -> None:
    from rich.console import Console

    env = Environment.for_tests(tmp_path)
    assert isinstance(env.stdout, SafeConsole) and isinstance(env.stderr, SafeConsole)
    assert isinstance(Environment().stderr, SafeConsole)
    env._stdout = Console()  # type: ignore[assignment]
    with pytest.raises(TypeError):
        _ = env.stdout


def _python_sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_only_the_console_module_creates_consoles() -> None:
    """`Console(` anywhere else would be a console without the rule."""
    offenders = [
        p.relative_to(SRC)
        for p in _python_sources()
        if p.name != "console.py" and re.search(r"\bConsole\(", p.read_text())
    ]
    assert offenders == []


def test_markup_is_parsed_only_by_the_styled_helper() -> None:
    """No `from_markup`, `markup=True`, `render_markup` or `[link=` outside display.py."""
    pattern = re.compile(r"from_markup|markup=True|render_markup|\[link=|rich\.markup")
    offenders = [
        p.relative_to(SRC)
        for p in _python_sources()
        if p.name != "display.py" and "emulator" not in p.parts and pattern.search(p.read_text())
    ]
    assert offenders == []


def test_no_plain_print_outside_the_consoles() -> None:
    """print()/echo write around the consoles; only `--version` (our own text) may."""
    pattern = re.compile(r"(?<![\w.])print\(|typer\.echo\(|sys\.std(?:out|err)\.write\(")
    offenders = [
        (p.relative_to(SRC), m.group(0))
        for p in _python_sources()
        if "emulator" not in p.parts
        for m in pattern.finditer(p.read_text())
    ]
    assert offenders == [(Path("cli.py"), "typer.echo(")]


def test_rich_widgets_that_parse_markup_themselves_are_given_plain_text() -> None:
    """TextColumn parses its text as markup unless told not to; Prompt/Confirm parse a str question."""
    for path in _python_sources():
        text = path.read_text()
        for call in re.findall(r"TextColumn\([^)]*\)", text):
            assert "markup=False" in call, (path, call)
        if path.name != "confirm.py":
            assert not re.search(r"\b(Confirm|Prompt)\.ask\(", text), path


def test_panel_titles_are_plain_text() -> None:
    out = render(Panel("body", title="[link=http://evil]x[/link] [/]"), terminal=True)
    assert "\x1b]8" not in out and "[link=http://evil]x[/link] [/]" in out


def test_an_overlong_value_is_cut_wherever_it_is_shown() -> None:
    table = Table()
    table.add_column("name")
    table.add_row("N" * 100_000)
    out = render(table, terminal=False)
    assert out.count("N") < 1100 and "…" in out
