"""Issue 10 in `briefbot console` (a real process): options that escaped validation (defect 14),
file size caps (15) and the source limit (11) give one error line and the session goes on; the
line parser is fuzzed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console import Parsed, number, parse
from bot.errors import InvalidInputError
from tests.bot.test_cli import cli, cli_env, publish, server  # noqa: F401 - fixtures
from tests.bot.test_console import console, section
from tests.support.content import Item, rss
from tests.support.feedserver import FeedServer

FUZZ_EXAMPLES = 600
T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
HUGE = "9" * 25


async def test_out_of_range_options_are_one_error_line_each(cli_env: dict[str, str], server: FeedServer) -> None:
    assert (await cli(cli_env, "source", "add", publish(server, "wire", 1)))[0] == 0
    commands = {
        "brief --since 99999999999d": "error: that time span is too long",
        "brief --since 0001-01-01T00:00+14:00": "error: that time is too far back",
        f"unsubscribe {HUGE}": "error: no subscription",
        f"digest {HUGE}": "error: no subscription",
        f"source remove {HUGE}": "error: no source",
        f"source remove {2**31}": "error: no source",
        "statements Anyone --page ²": "error: --page takes a number",
        f"statements Anyone --page {HUGE}": "error: --page takes a number",
        f"subscribe rail strikes --channel {2**64}": "error: --channel takes a number",
        "subscribe rail strikes --cap ²": "error: --cap takes a number",
        "source import-opml /dev/zero": "error: /dev/zero is larger than 1 MB",
        "why https://a.example/\u2028x": "error: give the article's full web address",
    }
    script = "\n".join([*commands, "subscriptions"]) + "\n"
    code, out, err = await console(cli_env, script)
    assert code == 0 and "Traceback" not in out + err, err
    for command, expected in commands.items():
        assert expected in section(out, command), (command, section(out, command))
    assert "No subscriptions" in section(out, "subscriptions")


async def test_a_line_that_is_not_utf8_or_overlong_is_one_unknown_command(cli_env: dict[str, str]) -> None:
    code, out, err = await console(cli_env, b"\xff\xfe brief\n" + b"x" * 200_000 + b"\nsubscriptions\n")
    assert code == 0 and "Traceback" not in out + err, err
    assert out.count("unknown command") == 2 and "No subscriptions" in out


async def test_console_opml_import_keeps_to_the_source_limit(cli_env: dict[str, str], server: FeedServer,
                                                             tmp_path: Path) -> None:
    env = {**cli_env, "MAX_SOURCES_PER_GUILD": "5"}
    for name in ("a", "b", "c"):
        assert (await cli(env, "source", "add", publish(server, name, 1)))[0] == 0
    opml = tmp_path / "feeds.opml"
    opml.write_text('<opml version="2.0"><body>' + "".join(
        f'<outline xmlUrl="{publish(server, f"new{i}", 1)}"/>' for i in range(5)) + "</body></opml>")
    code, out, err = await console(env, f"source import-opml {opml}\nsource list\n")
    assert code == 0 and "Traceback" not in out + err, err
    assert "Imported 2 of 5 feeds. 3 failed." in section(out, f"source import-opml {opml}")
    assert "5 sources" in section(out, "source list")


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(
    ["--since", "--page", "--topic=", "--", "-", '"', "'", "\\", " ", "x", "--page=²", "\ud83d", "\x00", "=", "#"]),
    max_size=20).map("".join)))
def test_fuzz_parse_gives_words_and_options_or_a_clear_error(line: str) -> None:
    try:
        parsed = parse(line, ("since", "page", "topic"))
    except InvalidInputError as exc:
        assert str(exc)
        return
    assert isinstance(parsed, Parsed) and set(parsed.options) <= {"since", "page", "topic"}
    for value in parsed.options.values():
        try:
            assert 1 <= number("page", value, 100_000, low=1) <= 100_000
        except InvalidInputError:
            pass


async def test_ask_over_a_stopword_article_and_a_bad_charts_folder(cli_env: dict[str, str], tmp_path: Path) -> None:
    """The only article reads "It is what it is.": `ask` answers or says the sources don't; a
    --charts path that is a file is one error line, not a traceback."""
    saved = tmp_path / "feed.xml"
    saved.write_bytes(rss("plain", [Item("only", "It is", "https://plain.example/only", T0, "It is what it is.")]))
    code, _, err = await cli(cli_env, "ingest", "--no-pages", str(saved))
    assert code == 0, err
    code, out, err = await console(cli_env, "ask What is it?\nask , , ,\nbrief\n")
    assert code == 0 and "Traceback" not in out + err, err
    assert "error:" not in section(out, "ask What is it?") and "It is" in section(out, "brief")
    code, _, err = await cli(cli_env, "console", "--charts", str(saved))
    assert code == 1 and "cannot use" in err and "Traceback" not in err
