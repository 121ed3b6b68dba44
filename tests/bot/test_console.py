"""`briefbot console`: the slash commands in a terminal, driven by scripted input (a real process)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.bot.test_cli import BRIEFBOT, cli, cli_env, publish, server  # noqa: F401 - fixtures
from tests.support.feedserver import FeedServer
from tests.support.llm_server import LLMStandIn, Scripted

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "demo-feed.xml"


async def console(env: dict[str, str], script: str | bytes, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        BRIEFBOT, "console", *args, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    data = script.encode() if isinstance(script, str) else script
    out, err = await asyncio.wait_for(proc.communicate(data), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


def section(out: str, command: str) -> str:
    """The output of one scripted command (from its echoed line to the next)."""
    start = out.index(f"> {command}\n") + len(command) + 3
    end = out.find("\n> ", start)
    return out[start:] if end < 0 else out[start:end]


async def test_console_runs_every_command_over_the_same_services(cli_env: dict[str, str], tmp_path: Path) -> None:
    code, _, err = await cli(cli_env, "ingest", str(DEMO))
    assert code == 0, err
    script = "\n".join([
        "help",
        "brief",
        "brief rail strike",
        "actor Dalia Okonkwo",
        "statements Okonkwo",
        "ask What did the union secretary say?",
        "why https://demo.briefbot.invalid/2026/11/northline-strike-off",
        "why https://elsewhere.example/never",
        "brief --since someday",
        "frobnicate",
        "source list",
        "quit",
        "brief",  # after quit: never runs
    ]) + "\n"
    code, out, err = await console(cli_env, script, "--charts", str(tmp_path / "charts"))
    assert code == 0, err
    assert "Traceback" not in out + err
    assert "actor NAME" in section(out, "help")
    brief = section(out, "brief")
    assert "Northline rail strike called off" in brief and "Harbor City council" in brief
    assert "Strongest statement" in brief and "<https://demo.briefbot.invalid/" in brief
    assert "\\" not in brief  # markdown escapes are undone for the terminal
    on_topic = section(out, "brief rail strike")
    assert "Northline rail strike" in on_topic and "Harbor City" not in on_topic and "Why it matched" in on_topic
    actor = section(out, "actor Dalia Okonkwo")
    assert "PERSON" in actor and "Our members held firm" in actor and "mentions.png" in actor
    assert (tmp_path / "charts" / "mentions.png").read_bytes().startswith(b"\x89PNG")
    assert "Our members held firm and it paid off" in section(out, "statements Okonkwo")
    answer = section(out, "ask What did the union secretary say?")
    assert "[1]" in answer and "northline-strike-off" in answer
    why = section(out, "why https://demo.briefbot.invalid/2026/11/northline-strike-off")
    assert "dedupe" in why and "story" in why
    assert "has not seen" in section(out, "why https://elsewhere.example/never")
    assert section(out, "brief --since someday").startswith("error: can't read the time")
    assert "unknown command" in section(out, "frobnicate")
    assert out.count("> brief\n") == 1


async def test_console_manages_sources(cli_env: dict[str, str], server: FeedServer) -> None:  # noqa: F811
    feed = publish(server, "wire", 2)
    script = f"source add {feed}\nsource list\nsource add {feed}\nsource remove 1\nsource list\n"
    code, out, err = await console(cli_env, script)
    assert code == 0, err
    assert "wire feed" in section(out, f"source add {feed}")
    assert "already a source" in out
    assert "no sources" in section(out, "source list").lower() or "no sources" in out.rsplit("> source list", 1)[1].lower()


async def test_console_subscriptions_and_digest_preview(cli_env: dict[str, str]) -> None:
    code, _, err = await cli(cli_env, "ingest", str(DEMO))
    assert code == 0, err
    script = "\n".join([
        "subscribe rail strikes --mode daily --time 07:30 --timezone Europe/Berlin",
        "subscriptions",
        "digest rail strikes",
        "subscribe storms --timezone Mars/Olympus",
        "subscribe ferries --style compact --mention 123456789",
        "subscribe floods --style fancy",
        "subscribe tides --mention everyone",
        "test ferries",
        "subscribe ferries --mention none",
        "unsubscribe rail strikes",
        "subscriptions",
    ]) + "\n"
    code, out, err = await console(cli_env, script)
    assert code == 0, err
    assert "daily digest at 07:30 Europe/Berlin" in section(out, "subscribe rail strikes --mode daily --time 07:30 "
                                                                 "--timezone Europe/Berlin")
    assert "rail strikes" in out.split("> subscriptions\n", 1)[1].split("> ", 1)[0]
    preview = section(out, "digest rail strikes")
    assert "Northline rail strike called off" in preview and "Harbor City" not in preview
    assert "unknown time zone" in section(out, "subscribe storms --timezone Mars/Olympus")
    ferries = section(out, "subscribe ferries --style compact --mention 123456789")
    assert "compact style" in ferries and "pinging @role 123456789 on each new story" in ferries
    assert "style is card, compact or plain" in section(out, "subscribe floods --style fancy")
    assert "--mention takes a number" in section(out, "subscribe tides --mention everyone")
    assert "pinging" not in section(out, "subscribe ferries --mention none")
    assert "Preview of the next post (a sample, as nothing matches yet)" in ferries
    test = section(out, "test ferries")
    assert "Test post for subscription" in test and "Sample story" in test and "@role 123456789" in test
    assert 'allowed_mentions: {"parse": [], "roles": ["123456789"]}' in test
    rail = section(out, "subscribe rail strikes --mode daily --time 07:30 --timezone Europe/Berlin")
    assert "Preview of the next post (the latest story that matches)" in rail and "Northline" in rail
    assert "no longer follows" in section(out, "unsubscribe rail strikes")
    listed = out.rsplit("> subscriptions\n", 1)[1]
    assert "ferries" in listed and "compact style" in listed and "pings" not in listed


async def test_console_answers_with_a_language_model_checked_against_the_sources(cli_env: dict[str, str]) -> None:
    code, _, err = await cli(cli_env, "ingest", str(DEMO))
    assert code == 0, err
    key = "sk-console-secret-7"
    with LLMStandIn() as llm:
        llm.script(Scripted.answer("NOT IN SOURCES"),  # the first question: the model refuses
                   Scripted.error(500), Scripted.error(503))  # the second: both models fail
        env = {**cli_env, "LLM_BASE_URL": llm.root, "LLM_MODEL": "Writer-8B", "LLM_API_KEY": key,
               "LLM_FALLBACK_MODELS": "small-1b", "LOG_LEVEL": "DEBUG"}  # the key stays out of every line
        script = "ask What is the population of Lima?\nask What did the union secretary say?\nquit\n"
        code, out, err = await console(env, script)
    assert code == 0, err
    refused = section(out, "ask What is the population of Lima?")
    assert "don't say" in refused and "answered by Writer-8B" in refused
    offline = section(out, "ask What did the union secretary say?")
    assert "[1]" in offline and "northline-strike-off" in offline and "answered offline" in offline
    prompt = llm.requests[0].body["messages"][1]["content"]
    assert prompt.startswith("Sources:\n[1] (") and prompt.endswith("Question: What is the population of Lima?")
    assert [r.body["model"] for r in llm.requests] == ["Writer-8B", "Writer-8B", "small-1b"]
    assert llm.requests[0].headers["Authorization"] == f"Bearer {key}"
    leaked = [ln for ln in (out + err).splitlines() if key in ln]
    assert not leaked and "llm model small-1b failed (HTTP 503)" in err, leaked
