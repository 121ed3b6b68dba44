"""End to end: the real bot process (`briefbot sync`, `briefbot run`) against the project's
Discord stand-in on 127.0.0.1, with feeds served over loopback. The stand-in validates every
body the bot sends (OpenAPI spec when ../shared is present, Discord's documented limits always)
and answers late interaction callbacks (over 3 s) the way Discord does, as errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from tests.summarizer.fixtures.story_pairs import JOIN
from tests.support.botproc import BotProcess, bot_env, run_once
from tests.support.discord import MANAGE_GUILD, DiscordStandIn
from tests.support.static_server import StaticServer

NOW = datetime.now(UTC).replace(microsecond=0)
NASTY_TITLE = "@everyone <script>alert(1)</script> **Harbor** barrier vote"
QUOTES = ('"We will not retreat one step," Ayatollah Ali Khamenei said in Tehran on Monday. '
          'He added: "Our nation has chosen the path of resistance." '
          '"The enemies have failed before and they will fail again," Khamenei told the crowd. '
          'Khamenei warned that any attack on Iran would be answered. '
          '"Sanctions have made us stronger," he said. '
          '"Negotiating with America is useless," Khamenei said. '
          '"Israel is a cancerous tumor," Khamenei declared.')
HARBOR = ("Harbor City's council voted 7-4 early on Tuesday to build a movable tidal barrier across the Vell "
          "estuary. \"We will not wait for the next flood,\" Mayor Ilse Brandvold told the chamber.")


def _rss(title: str, entries: list[tuple[str, str, str, datetime]]) -> bytes:
    items = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
        f"<pubDate>{format_datetime(when)}</pubDate><description>{escape(text)}</description></item>"
        for t, link, text, when in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>https://example.test/</link><description>x</description>{items}</channel></rss>").encode()


@dataclass
class World:
    d: DiscordStandIn
    bot: BotProcess
    env: dict[str, str]
    guild: int
    channel: int
    admin: int
    member: int
    other_guild: int
    other_channel: int
    other_admin: int
    wire_feed: str
    gulf_feed: str
    extra_feed: str
    article_urls: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("e2e")
    kh = JOIN[0]
    with DiscordStandIn(interaction_deadline=3.0) as d, StaticServer() as web:
        urls = {"kh_a": "https://wire-one.example/khamenei-talks", "kh_b": "https://gulf-daily.example/khamenei",
                "quotes": "https://wire-one.example/khamenei-retreat", "harbor": "https://wire-one.example/harbor"}
        wire = web.set("/wire.xml", _rss("Wire One", [
            (kh.a.title, urls["kh_a"], kh.a.lead, NOW - timedelta(hours=5)),
            ("Khamenei vows Iran will not retreat", urls["quotes"], QUOTES, NOW - timedelta(hours=4)),
            (NASTY_TITLE, urls["harbor"], HARBOR, NOW - timedelta(hours=3)),
        ]))
        gulf = web.set("/gulf.xml", _rss("Gulf Daily", [(kh.b.title, urls["kh_b"], kh.b.lead,
                                                          NOW - timedelta(hours=2))]))
        extra = web.set("/extra.xml", _rss("Extra Desk", [("Harbor barrier costs rise", "https://extra.example/a",
                                                            HARBOR, NOW - timedelta(hours=1))]))
        guild = d.add_guild("Newsroom")
        channel = d.add_channel(guild, "briefings")
        admin, member = d.add_user("editor"), d.add_user("reader")
        d.add_member(guild, admin, permissions=MANAGE_GUILD)
        d.add_member(guild, member, permissions=0)
        other = d.add_guild("Elsewhere")
        other_channel = d.add_channel(other, "general")
        other_admin = d.add_user("other-editor")
        d.add_member(other, other_admin, permissions=MANAGE_GUILD)
        env = bot_env({}, DISCORD_TOKEN=d.token, DISCORD_API_BASE=d.api_base, DISCORD_GATEWAY_URL=d.gateway_url,
                      DATABASE_URL=f"sqlite://{tmp / 'bot.sqlite3'}", DATA_DIR=str(tmp / "data"),
                      FETCH_ALLOW_PRIVATE="true", FETCH_PAGES="false", EXTRACT_WORKERS="1", MODEL_THREADS="1",
                      LOG_LEVEL="INFO", POLL_INTERVAL_S="3600")
        synced = run_once(env, "sync")
        assert synced.returncode == 0, synced.stderr
        assert "Registered 9 commands globally" in synced.stdout
        bot = BotProcess(env).start()
        _BOTS.append(bot)
        try:
            d.wait_ready(timeout=90)
            bot.wait_log("connected as", timeout=60)
            yield World(d, bot, env, guild, channel, admin, member, other, other_channel, other_admin, wire, gulf,
                        extra, urls)
        finally:
            code = bot.stop()
        assert code == 0, bot.log[-3000:]
        assert d.token not in bot.log  # the token is never logged
        assert "Traceback" not in bot.log, bot.log[-5000:]


def analysed(lines: list[str]) -> int:
    return sum(int(m.group(1)) for line in lines if (m := re.search(r"analysed (\d+) article", line)))


def no_violations(d: DiscordStandIn) -> None:
    found = d.take_violations()
    assert found == [], found


_BOTS: list[BotProcess] = []


def final(ix: Any, timeout: float = 60) -> dict[str, Any]:
    try:
        return ix.wait_final(timeout=timeout)
    except TimeoutError as exc:
        log = _BOTS[-1].log[-4000:] if _BOTS else ""
        raise AssertionError(f"{exc}\n--- bot log ---\n{log}") from None


def text_of(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""]
    for e in message.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or "", (e.get("footer") or {}).get("text") or ""]
        parts += [f"{f['name']} {f['value']}" for f in e.get("fields") or []]
    return "\n".join(parts)


def sent_bodies(d: DiscordStandIn) -> list[dict[str, Any]]:
    """Every message body the bot sent (channel messages, callbacks, follow-ups, edits)."""
    out = []
    for r in d.requests:
        body = r.json
        if not isinstance(body, dict) or r.route is None:
            continue
        if "/callback" in r.route:
            body = body.get("data") or {}
            if not isinstance(body, dict) or not ({"content", "embeds"} & body.keys()):
                continue
        elif not any(k in r.route for k in ("/messages", "/webhooks/")):
            continue
        out.append(body)
    return out


# ---------------------------------------------------------------- start-up


def test_connects_with_the_smallest_intents_and_registers_valid_commands(world: World) -> None:
    d = world.d
    assert d.identifies == 1
    assert d.intents == 1 | 512  # GUILDS and GUILD_MESSAGES; no privileged intent without DISCORD_MESSAGE_CONTENT
    names = {c["name"] for c in d.commands()}
    assert names == {"brief", "ask", "why", "actor", "statements", "source", "subscribe", "unsubscribe",
                     "subscriptions"}
    source = next(c for c in d.commands() if c["name"] == "source")
    assert source["default_member_permissions"] == str(MANAGE_GUILD)
    assert {o["name"] for o in source["options"]} == {"add", "remove", "enable", "list", "import-opml"}
    for name in ("subscribe", "unsubscribe", "subscriptions"):
        admin_only = next(c for c in d.commands() if c["name"] == name)
        assert admin_only["default_member_permissions"] == str(MANAGE_GUILD)
    no_violations(d)


def test_guild_sync_registers_commands_in_one_server(world: World) -> None:
    result = run_once(world.env, "sync", "--guild", str(world.guild))
    assert result.returncode == 0, result.stderr
    assert f"in server {world.guild}" in result.stdout
    assert {c["name"] for c in world.d.commands(world.guild)} >= {"brief", "source"}
    no_violations(world.d)


# ---------------------------------------------------------------- sources, then briefs


def test_admin_adds_sources_and_brief_shows_the_story_from_both_outlets(world: World) -> None:
    d = world.d
    for feed in (world.wire_feed, world.gulf_feed):
        ix = d.invoke(world.guild, world.channel, world.admin, "source", {"url": feed}, subcommand="add")
        msg = final(ix)
        assert msg["flags"] & 64  # ephemeral: admin chatter stays private
        assert "Added" in text_of(msg), text_of(msg)
    world.bot.wait_until(lambda lines: analysed(lines) >= 4, timeout=120, what="all 4 articles were analysed")
    listing = final(d.invoke(world.guild, world.channel, world.admin, "source", subcommand="list"))
    assert "Wire One" in text_of(listing) and "Gulf Daily" in text_of(listing)
    brief = final(d.invoke(world.guild, world.channel, world.member, "brief"))
    text = text_of(brief)
    assert "Khamenei" in text and "Gulf Daily" in text and "Wire One" in text
    story = next(e for e in brief["embeds"] if "Khamenei rules out" in (e.get("title") or "")
                 or "supreme leader dismisses" in (e.get("title") or ""))
    sources = next(f for f in story["fields"] if f["name"].startswith("Sources"))
    assert "(2)" in sources["name"] and world.article_urls["kh_a"] in sources["value"]
    no_violations(d)


def test_feed_text_is_escaped_and_no_message_can_ping(world: World) -> None:
    d = world.d
    brief = final(d.invoke(world.guild, world.channel, world.member, "brief", {"topic": "Harbor barrier"}))
    harbor = next(e for e in brief["embeds"] if "Harbor" in (e.get("title") or ""))
    title = harbor["title"]
    assert "\\*\\*Harbor\\*\\*" in title and "\\<script\\>" in title  # shown literally, not as markdown
    bodies = sent_bodies(d)
    assert bodies
    for body in bodies:
        assert body.get("allowed_mentions") == {"parse": []}, body
    no_violations(d)


def test_brief_on_a_topic_with_nothing_says_what_to_try(world: World) -> None:
    msg = final(world.d.invoke(world.guild, world.channel, world.member, "brief",
                               {"topic": "cricket world cup", "since": "2h"}))
    assert "No stories" in msg["content"] and "broader topic" in msg["content"]
    no_violations(world.d)


# ---------------------------------------------------------------- actors and statements


def test_actor_autocomplete_profile_and_chart(world: World) -> None:
    d = world.d
    choices = d.autocomplete(world.guild, world.channel, world.member, "actor", option="name", value="khame")
    assert choices and "Khamenei" in choices[0]["name"] and len(choices) <= 25
    msg = final(d.invoke(world.guild, world.channel, world.member, "actor", {"name": choices[0]["value"]}))
    text = text_of(msg)
    assert "PERSON" in text and "Israel is a cancerous tumor" in text
    assert [a["filename"] for a in msg["attachments"]] == ["mentions.png"]
    assert d.attachment_bytes(msg["attachments"][0]).startswith(b"\x89PNG")
    no_violations(d)


def test_statements_are_verbatim_and_paged_with_buttons(world: World) -> None:
    d = world.d
    msg = final(d.invoke(world.guild, world.channel, world.member, "statements", {"actor": "Khamenei"}))
    first = text_of(msg)
    assert "We will not retreat one step" in first or "Israel is a cancerous tumor" in first
    buttons = [c for row in msg["components"] for c in row["components"]]
    older = next(b for b in buttons if "Older" in b["label"])
    assert not older.get("disabled")
    ix = d.click(msg, older["custom_id"], world.member, world.guild)
    ix.wait_response(timeout=30)
    page2 = d.wait_for(lambda d: (m := d.message(int(msg["id"]))) and text_of(m) != first and m, timeout=30)
    assert "Page 2" in text_of(page2)
    no_violations(d)


# ---------------------------------------------------------------- ask and why


def test_ask_answers_with_numbered_citations(world: World) -> None:
    msg = final(world.d.invoke(world.guild, world.channel, world.member, "ask",
                               {"question": "What did Khamenei say about retreat?"}))
    assert "[1]" in msg["content"] and "retreat" in msg["content"]
    assert "wire-one.example" in text_of(msg)
    no_violations(world.d)


def test_why_shows_an_articles_path(world: World) -> None:
    msg = final(world.d.invoke(world.guild, world.channel, world.member, "why", {"url": world.article_urls["kh_b"]}))
    assert msg["flags"] & 64
    text = text_of(msg)
    assert "story" in text.lower() and "Gulf Daily" in text
    no_violations(world.d)


# ---------------------------------------------------------------- permissions and scoping


def test_admin_commands_are_refused_to_members_at_run_time(world: World) -> None:
    d = world.d
    with pytest.raises(PermissionError):  # Discord doesn't even offer it (default_permissions)
        d.invoke(world.guild, world.channel, world.member, "source", subcommand="list")
    ix = d.invoke(world.guild, world.channel, world.member, "source", {"url": "https://x.example/feed"},
                  subcommand="add", enforce_permissions=False)  # a stale client, a changed role
    msg = final(ix)
    assert msg["flags"] & 64 and "Manage Server" in msg["content"]
    assert len(msg["content"].splitlines()) == 1 and not msg.get("embeds")
    no_violations(d)


def test_a_second_server_sees_none_of_the_first_servers_data(world: World) -> None:
    d = world.d
    brief = final(d.invoke(world.other_guild, world.other_channel, world.other_admin, "brief"))
    assert "Khamenei" not in text_of(brief) and "/source add" in brief["content"]
    listing = final(d.invoke(world.other_guild, world.other_channel, world.other_admin, "source", subcommand="list"))
    assert "Wire One" not in text_of(listing)
    actor = final(d.invoke(world.other_guild, world.other_channel, world.other_admin, "actor", {"name": "Khamenei"}))
    assert actor["flags"] & 64 and "no actor" in actor["content"]
    assert d.autocomplete(world.other_guild, world.other_channel, world.other_admin, "actor", option="name",
                          value="kham") == []
    removed = final(d.invoke(world.other_guild, world.other_channel, world.other_admin, "source", {"source": "1"},
                             subcommand="remove"))
    assert "no source" in removed["content"]
    assert "Wire One" in text_of(final(d.invoke(world.guild, world.channel, world.admin, "source",
                                                subcommand="list")))
    no_violations(d)


def test_opml_import_from_an_attachment_and_remove(world: World) -> None:
    d = world.d
    opml = (f'<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
            f'<outline text="Extra" xmlUrl="{world.extra_feed}"/><outline text="Bad" xmlUrl="ftp://nope.example/x"/>'
            f"</body></opml>").encode()
    msg = final(d.invoke(world.guild, world.channel, world.admin, "source", subcommand="import-opml",
                         attachments={"file": ("feeds.opml", opml, "text/x-opml")}))
    text = text_of(msg)
    assert msg["flags"] & 64 and "Extra Desk" in text and "ftp://nope.example/x" in text
    listing = text_of(final(d.invoke(world.guild, world.channel, world.admin, "source", subcommand="list")))
    assert "Extra Desk" in listing
    removed = final(d.invoke(world.guild, world.channel, world.admin, "source", {"source": world.extra_feed},
                             subcommand="remove"))
    assert "Removed" in text_of(removed)
    assert "Extra Desk" not in text_of(final(d.invoke(world.guild, world.channel, world.admin, "source",
                                                      subcommand="list")))
    no_violations(d)


def test_a_mistake_is_one_private_line_and_leaves_no_public_message(world: World) -> None:
    d = world.d
    public_before = len(d.messages(world.channel, include_ephemeral=False))
    msg = final(d.invoke(world.guild, world.channel, world.member, "brief", {"since": "someday"}))
    assert msg["flags"] & 64 and msg["content"].startswith("can't read the time")
    assert len(msg["content"].splitlines()) == 1 and not msg.get("embeds")
    assert len(d.messages(world.channel, include_ephemeral=False)) == public_before  # "thinking..." removed
    no_violations(d)


# ---------------------------------------------------------------- faults


def test_a_rate_limited_reply_is_waited_out_and_sent(world: World) -> None:
    d = world.d
    route = "POST /webhooks/{webhook_id}/{webhook_token}"
    before = len(d.requests_to(route))
    d.inject(route, status=429, retry_after=0.3, count=1)
    msg = final(d.invoke(world.guild, world.channel, world.member, "brief"))
    assert "Khamenei" in text_of(msg)
    statuses = [r.status for r in d.requests_to(route)[before:]]
    assert statuses[:2] == [429, 200], statuses
    no_violations(d)


def test_a_dropped_gateway_resumes_and_commands_still_work(world: World) -> None:
    d = world.d
    d.drop_gateway()
    d.wait_for(lambda d: d.resumes >= 1, timeout=60, what="the bot to RESUME")
    assert d.identifies == 1  # resumed, not a fresh session
    msg = final(d.invoke(world.guild, world.channel, world.member, "brief"))
    assert "Khamenei" in text_of(msg)
    no_violations(d)


def test_a_wrong_token_is_one_clear_line_and_never_printed(world: World, tmp_path: Path) -> None:
    # its own database: the running bot holds the world's (a second `run` on it is refused first)
    env = {**world.env, "DISCORD_TOKEN": "not-the-token", "DATABASE_URL": f"sqlite://{tmp_path / 'other.sqlite3'}"}
    result = run_once(env, "run", timeout=60)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert lines and "refused DISCORD_TOKEN" in lines[-1], result.stderr
    assert "not-the-token" not in result.stdout + result.stderr and "Traceback" not in result.stderr
