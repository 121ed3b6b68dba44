"""The Discord stand-in (tests/support/discord) driven by a bare discord.py client.

This tests the stand-in itself, not Briefbot: a plain ``discord.Client`` with an
``app_commands.CommandTree`` logs in, syncs commands, answers slash commands, autocomplete and
buttons, sends files and embeds, opens threads, rides out 429/500s and resumes a dropped gateway.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.support.discord import MANAGE_GUILD, DiscordStandIn, RecordedRequest

discord = pytest.importorskip("discord")
from discord import app_commands  # noqa: E402

FRUITS = ["apple", "apricot", "banana", "blackberry", "blueberry", "cherry"]


def build_client(guild_id: int) -> tuple[Any, Any]:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.3)
    tree = app_commands.CommandTree(client)
    guild = discord.Object(guild_id)

    @tree.command(name="echo", description="Echo some text", guild=guild)
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(f"echo: {text}")

    @tree.command(name="slow", description="Defer, then follow up", guild=guild)
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("done slowly")

    @tree.command(name="secret", description="An ephemeral answer", guild=guild)
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you can see this", ephemeral=True)

    async def fruit_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f.title(), value=f) for f in FRUITS if f.startswith(current)][:25]

    @tree.command(name="pick", description="Pick a fruit", guild=guild)
    @app_commands.autocomplete(fruit=fruit_choices)
    async def pick(interaction: discord.Interaction, fruit: str) -> None:
        await interaction.response.send_message(f"picked {fruit}")

    class Panel(discord.ui.View):
        @discord.ui.button(label="OK", custom_id="panel:ok", style=discord.ButtonStyle.primary)
        async def ok(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            await interaction.response.edit_message(content=f"clicked by {interaction.user.name}", view=None)

    @tree.command(name="panel", description="A message with a button", guild=guild)
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("press it", view=Panel(timeout=None))

    source = app_commands.Group(name="source", description="Manage sources", guild_ids=[guild_id])

    @source.command(name="add", description="Add a source")
    async def source_add(interaction: discord.Interaction, url: str, interval: int = 10) -> None:
        await interaction.response.send_message(f"added {url} every {interval} min ({type(interval).__name__})")

    tree.add_command(source)

    @tree.command(name="upload", description="Upload a file", guild=guild)
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()  # fetched from the stand-in's attachment URL
        await interaction.response.send_message(f"{file.filename}: {len(data)} bytes, starts {data[:5]!r}")

    @tree.command(name="report", description="Send a file, then edit the response", guild=guild)
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("draft", file=discord.File(io.BytesIO(b"r1"), "report.txt"))
        await interaction.edit_original_response(content="final report")

    class Feedback(discord.ui.Modal, title="Feedback"):
        note = discord.ui.TextInput(label="Note", custom_id="feedback:note")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"thanks for: {self.note.value}", ephemeral=True)

    @tree.command(name="feedback", description="Open a form", guild=guild)
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    client.seen_messages = []  # type: ignore[attr-defined]

    @client.event
    async def on_message(message: discord.Message) -> None:
        client.seen_messages.append(message)  # type: ignore[attr-defined]

    return client, tree


@dataclass
class Env:
    d: DiscordStandIn
    loop: asyncio.AbstractEventLoop
    client: Any
    tree: Any
    guild: int
    channel: int
    alice: int

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 15) -> Any:
        """Runs a coroutine on the client's loop (another thread) and returns its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def soon(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Starts a coroutine on the client's loop now; ``.result(timeout)`` later."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def assert_clean(self) -> None:
        assert self.d.violations == []
        assert self.d.self_violations == []


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    d = DiscordStandIn(check_responses=True)
    d.start()
    guild = d.add_guild("Test Guild")
    channel = d.add_channel(guild, "general")
    alice = d.add_user("alice")
    d.add_member(guild, alice, permissions=MANAGE_GUILD)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="discord-client", daemon=True)
    thread.start()
    with d.patch_discord_py():

        async def make() -> tuple[Any, Any]:
            return build_client(guild)

        client, tree = asyncio.run_coroutine_threadsafe(make(), loop).result(10)
        runner = asyncio.run_coroutine_threadsafe(client.start(d.token), loop)
        e = Env(d, loop, client, tree, guild, channel, alice)
        try:
            runner.add_done_callback(lambda _: d.wake())
            d.wait_for(lambda d: d.connected or runner.done(), timeout=20, what="the client to connect")
            if runner.done():
                runner.result()  # raises what stopped the client
            e.run(client.wait_until_ready())
            e.run(tree.sync(guild=discord.Object(guild)))
            yield e
        finally:
            e.run(client.close())
            try:
                runner.result(10)
            except Exception:  # noqa: BLE001 - closing, whatever start() ended with
                pass
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            d.stop()


def test_login_ready_and_guild_create(env: Env) -> None:
    d, client = env.d, env.client
    assert [g.id for g in client.guilds] == [env.guild]
    guild = client.get_guild(env.guild)
    assert guild.get_channel(env.channel).name == "general"
    assert guild.me is not None and guild.me.id == d.bot_user_id
    assert client.user.id == d.bot_user_id
    assert client.application_id == d.application_id
    assert d.identifies == 1
    assert d.intents == discord.Intents.default().value and d.identify_payloads[0]["token"] == d.token
    routes = [r.route for r in d.requests]
    assert "GET /users/@me" in routes and "GET /oauth2/applications/@me" in routes
    # discord.py 2.7 asks for zlib-stream transport compression (no zstd on Python 3.11): we honour it
    conn = d.gateway_connections[0]["query"]
    assert conn["v"] == "10" and conn["encoding"] == "json"
    assert conn.get("compress") in ("zlib-stream", "zstd-stream", None)
    env.assert_clean()


def test_command_sync_is_recorded_and_validated(env: Env) -> None:
    d = env.d
    put = d.requests_to("PUT /applications/{application_id}/guilds/{guild_id}/commands")
    assert len(put) == 1 and put[0].status == 200 and put[0].problems == []
    names = {c["name"] for c in d.commands(env.guild)}
    assert names == {"echo", "slow", "secret", "pick", "panel", "source", "upload", "report", "feedback"}
    source = next(c for c in d.commands(env.guild) if c["name"] == "source")
    assert source["options"][0]["type"] == 1 and source["options"][0]["name"] == "add"
    assert all(c["application_id"] == str(d.application_id) for c in d.commands(env.guild))
    assert d.commands() == []  # nothing global
    env.assert_clean()


def test_slash_command_immediate_response(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "echo", options={"text": "hello"})
    response = ix.wait_response()
    assert response["type"] == 4
    final = ix.wait_final()
    assert final["content"] == "echo: hello"
    assert final["author"]["id"] == str(d.bot_user_id)
    assert final["interaction_metadata"]["user"]["id"] == str(env.alice)
    assert final in d.messages(env.channel)
    assert ix.latency is not None and 0 <= ix.latency < 5
    callback = d.requests_to("POST /interactions/{interaction_id}/{interaction_token}/callback")[-1]
    assert callback.query.get("with_response") in ("1", "true")
    env.assert_clean()


def test_defer_then_followup(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "slow")
    assert ix.wait_response()["type"] == 5
    final = ix.wait_final()
    assert final["content"] == "done slowly"
    assert final["flags"] & 128 == 0  # no longer "thinking..."
    assert [m["id"] for m in ix.followups] == [final["id"]] == [str(ix.original_message_id)]
    followup = d.requests_to("POST /webhooks/{webhook_id}/{webhook_token}")[-1]
    assert followup.query["wait"] in ("1", "true")
    env.assert_clean()


def test_ephemeral_response_is_flagged_and_not_broadcast(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "secret")
    final = ix.wait_final()
    assert final["flags"] & 64
    assert final["content"] == "only you can see this"
    assert all(data["id"] != final["id"] for _, data in d.dispatched("MESSAGE_CREATE"))
    assert final["id"] not in [m["id"] for m in d.messages(env.channel, include_ephemeral=False)]
    env.assert_clean()


def test_autocomplete_round_trip(env: Env) -> None:
    d = env.d
    choices = d.autocomplete(env.guild, env.channel, env.alice, "pick", option="fruit", value="bl")
    assert choices == [{"name": "Blackberry", "value": "blackberry"}, {"name": "Blueberry", "value": "blueberry"}]
    ix = d.invoke(env.guild, env.channel, env.alice, "pick", options={"fruit": "cherry"})
    assert ix.wait_final()["content"] == "picked cherry"
    env.assert_clean()


def test_button_click_updates_the_message(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "panel")
    message = ix.wait_final()
    assert message["components"][0]["components"][0]["custom_id"] == "panel:ok"
    click = d.click(message, "panel:ok", env.alice, env.guild)
    assert click.wait_response()["type"] == 7
    updated = click.wait_final()
    assert updated["id"] == message["id"]
    assert updated["content"] == "clicked by alice"
    assert updated["components"] == []
    with pytest.raises(LookupError):
        d.click(updated, "panel:ok", env.alice, env.guild)  # the button is gone
    env.assert_clean()


def test_modal_round_trip(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "feedback")
    modal = ix.wait_final()
    assert ix.response["type"] == 9 and modal["title"] == "Feedback"
    submitted = d.submit_modal(ix, {"feedback:note": "nice"})
    answer = submitted.wait_final()
    assert answer["content"] == "thanks for: nice" and answer["flags"] & 64
    env.assert_clean()


def test_grouped_subcommand_and_option_types(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "source", options={"url": "https://example.org/feed", "interval": 5},
                  subcommand="add")
    assert ix.wait_final()["content"] == "added https://example.org/feed every 5 min (int)"
    with pytest.raises(ValueError, match="sub-command"):
        d.invoke(env.guild, env.channel, env.alice, "source", options={"url": "x"})
    with pytest.raises(ValueError, match="required option"):
        d.invoke(env.guild, env.channel, env.alice, "echo")
    with pytest.raises(LookupError, match="not registered"):
        d.invoke(env.guild, env.channel, env.alice, "nope")
    env.assert_clean()


def test_attachment_option_is_resolved_and_served(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "upload", attachments={"file": ("notes.txt", b"hello world")})
    assert ix.wait_final()["content"] == "notes.txt: 11 bytes, starts b'hello'"
    resolved = ix.payload["data"]["resolved"]["attachments"]
    assert [a["filename"] for a in resolved.values()] == ["notes.txt"]
    env.assert_clean()


def test_message_with_embed_and_file(env: Env) -> None:
    d = env.d
    channel = env.client.get_channel(env.channel)

    async def send() -> Any:
        embed = discord.Embed(title="Briefing", description="Three outlets agree.")
        embed.add_field(name="Source", value="example.org")
        return await channel.send("see attached", embed=embed, file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "data.csv"))

    sent = env.run(send())
    stored = d.message(sent.id)
    assert stored["content"] == "see attached"
    assert stored["embeds"][0]["title"] == "Briefing" and stored["embeds"][0]["type"] == "rich"
    (attachment,) = stored["attachments"]
    assert attachment["filename"] == "data.csv" and attachment["size"] == 8
    assert attachment["content_type"] == "text/csv"
    with urllib.request.urlopen(attachment["url"], timeout=5) as resp:
        assert resp.read() == b"a,b\n1,2\n"
    assert sent.attachments[0].filename == "data.csv"  # discord.py parsed our response
    request = d.requests_to("POST /channels/{channel_id}/messages")[-1]
    assert request.json["embeds"][0]["title"] == "Briefing"
    assert [f.filename for f in request.files] == ["data.csv"]
    env.assert_clean()


def test_thread_from_message(env: Env) -> None:
    d = env.d
    channel = env.client.get_channel(env.channel)

    async def make_thread() -> Any:
        root = await channel.send("story root")
        thread = await root.create_thread(name="Discussion of the story")
        await thread.send("first reply")
        return root, thread

    root, thread = env.run(make_thread())
    assert thread.id == root.id  # Discord gives a message's thread the message's id
    (stored,) = d.threads(env.channel)
    assert stored["name"] == "Discussion of the story" and stored["type"] == 11
    assert [m["content"] for m in d.messages(thread.id)] == ["first reply"]
    assert env.client.get_channel(thread.id) is not None  # THREAD_CREATE reached the cache
    env.assert_clean()


def test_callback_with_file_then_edit_original(env: Env) -> None:
    d = env.d
    ix = d.invoke(env.guild, env.channel, env.alice, "report")
    d.wait_for(lambda d: ix.original_edits, what="the edit of @original")
    final = ix.original
    assert final["content"] == "final report" and final["edited_timestamp"] is not None
    (attachment,) = final["attachments"]
    assert attachment["filename"] == "report.txt" and d.attachment_bytes(attachment) == b"r1"
    callback = next(r for r in d.requests if r.route and r.route.endswith("/callback") and r.files)
    assert callback.json["type"] == 4 and callback.json["data"]["attachments"][0]["id"] == 0
    env.assert_clean()


def test_thread_archive_and_late_guild_join(env: Env) -> None:
    d = env.d
    channel = env.client.get_channel(env.channel)

    async def archive() -> Any:
        thread = await channel.create_thread(name="to archive", type=discord.ChannelType.public_thread)
        return await thread.edit(archived=True)

    thread = env.run(archive())
    stored = next(t for t in d.threads(env.channel) if t["id"] == str(thread.id))
    assert stored["thread_metadata"]["archived"] is True
    joined = env.soon(env.client.wait_for("guild_join", timeout=10))
    second = d.add_guild("Second Guild")
    assert joined.result(10).id == second
    env.assert_clean()


def test_429_is_waited_out_and_retried(env: Env) -> None:
    d = env.d
    channel = env.client.get_channel(env.channel)
    before = len(d.requests_to("POST /channels/{channel_id}/messages"))
    d.inject("POST /channels/{channel_id}/messages", status=429, retry_after=0.3)
    env.run(channel.send("after a 429"))
    attempts = d.requests_to("POST /channels/{channel_id}/messages")[before:]
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].time - attempts[0].time >= 0.3
    assert [m["content"] for m in d.messages(env.channel)].count("after a 429") == 1
    env.assert_clean()


def test_500_is_retried(env: Env) -> None:
    d = env.d
    channel = env.client.get_channel(env.channel)
    before = len(d.requests_to("POST /channels/{channel_id}/messages"))
    d.inject("POST /channels/{channel_id}/messages", status=500)
    env.run(channel.send("after a 500"))
    attempts = d.requests_to("POST /channels/{channel_id}/messages")[before:]
    assert [r.status for r in attempts] == [500, 200]
    assert [m["content"] for m in d.messages(env.channel)].count("after a 500") == 1
    env.assert_clean()


def test_missing_permissions_and_deleted_channel(env: Env) -> None:
    d = env.d
    locked = d.add_channel(env.guild, "locked")
    gone = d.add_channel(env.guild, "gone")
    deleted = env.soon(env.client.wait_for("guild_channel_delete", check=lambda c: c.id == gone, timeout=10))
    d.set_bot_permissions(locked, False)

    async def send(cid: int) -> Any:
        return await env.client.http.send_message(cid, params=discord.http.handle_message_parameters(content="x"))

    with pytest.raises(discord.Forbidden) as forbidden:
        env.run(send(locked))
    assert forbidden.value.code == 50013
    d.set_bot_permissions(locked, True)
    env.run(send(locked))
    d.delete_channel(gone)
    assert deleted.result(10).name == "gone"
    with pytest.raises(discord.NotFound) as not_found:
        env.run(send(gone))
    assert not_found.value.code == 10003
    env.assert_clean()


def test_message_content_needs_the_intent_or_a_mention(env: Env) -> None:
    d = env.d
    seen = env.client.seen_messages
    n = len(seen)
    got = env.soon(env.client.wait_for("message", check=lambda m: m.author.id == env.alice, timeout=10))
    d.post_user_message(env.channel, env.alice, "plain text")
    assert got.result(10).content == ""  # Intents.default() has no message_content
    got = env.soon(env.client.wait_for("message", check=lambda m: m.author.id == env.alice, timeout=10))
    d.post_user_message(env.channel, env.alice, "are you there?", mention_bot=True)
    message = got.result(10)
    assert message.content.endswith("are you there?") and env.client.user in message.mentions
    assert len(seen) >= n + 2
    env.assert_clean()


def test_gateway_drop_resumes_and_replays(env: Env) -> None:
    d = env.d
    identifies, resumes = d.identifies, d.resumes
    created = env.soon(env.client.wait_for("guild_channel_create", check=lambda c: c.name == "late", timeout=20))
    assert d.drop_gateway() == 1
    late = d.add_channel(env.guild, "late")  # dispatched while disconnected: replayed on RESUME
    d.wait_for(lambda d: d.resumes == resumes + 1, timeout=20, what="a RESUME")
    assert created.result(20).id == late
    assert d.identifies == identifies and d.invalid_resumes == 0
    ix = d.invoke(env.guild, env.channel, env.alice, "echo", options={"text": "still here"})
    assert ix.wait_final()["content"] == "echo: still here"
    env.assert_clean()


# ---------------------------------------------------------------------------------------------
# Briefings: posting once (nonces, lost responses), threads, history, edits, permissions
# ---------------------------------------------------------------------------------------------


def _fresh_channel(env: Env, name: str) -> tuple[int, Any]:
    """A new text channel and a PartialMessageable for it (no need to wait for the client's cache)."""
    cid = env.d.add_channel(env.guild, name)
    return cid, env.client.get_partial_messageable(cid, guild_id=env.guild)


def _creates(d: DiscordStandIn, channel_id: int) -> list[dict[str, Any]]:
    return [m for _, m in d.dispatched("MESSAGE_CREATE") if m["channel_id"] == str(channel_id)]


def test_enforce_nonce_returns_the_earlier_message(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "nonces")
    other_cid, other = _fresh_channel(env, "nonces-elsewhere")
    hits = d.nonce_hits
    first = env.run(channel.send("briefing: story 1", nonce="story:1"))
    again = env.run(channel.send("briefing: story 1 (retry)", nonce="story:1"))
    assert again.id == first.id and again.content == "briefing: story 1"  # the earlier message, unchanged
    assert d.nonce_hits == hits + 1
    posts = d.requests_to("POST /channels/{channel_id}/messages")[-2:]
    assert posts[-1].json["nonce"] == "story:1" and posts[-1].json["enforce_nonce"] is True  # what discord.py sends
    assert [r.status for r in posts] == [200, 200] and [r.nonce_hit for r in posts] == [False, True]
    assert [m["content"] for m in d.top_level_messages(cid)] == ["briefing: story 1"]
    assert len(_creates(d, cid)) == 1  # the hit dispatched nothing
    # the same nonce elsewhere is another message; without enforce_nonce Discord doesn't dedupe
    assert env.run(other.send("elsewhere", nonce="story:1")).id != first.id
    status, body = _call_sync(d, "POST", f"/channels/{cid}/messages", {"content": "no enforce", "nonce": "story:1"})
    assert status == 200 and body["id"] != str(first.id) and body["nonce"] == "story:1"
    # once the window has passed, the nonce no longer matches
    d.expire_nonces()
    later = env.run(channel.send("briefing: story 1, days later", nonce="story:1"))
    assert later.id != first.id and d.nonce_hits == hits + 1
    assert len(d.top_level_messages(cid)) == 3
    env.assert_clean()


def test_lost_response_500_is_retried_with_the_same_nonce(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "lost-500")
    hits = d.nonce_hits
    d.inject("POST /channels/{channel_id}/messages", status=500, after_effect=True)
    sent = env.run(channel.send("posted once"))  # no explicit nonce: discord.py makes a random one
    attempts = [r for r in d.requests_to("POST /channels/{channel_id}/messages") if r.params["channel_id"] == str(cid)]
    assert [r.status for r in attempts] == [500, 200]
    assert attempts[0].fault == "500" and attempts[0].effect_status == 200  # created, but the bot got a 500
    assert attempts[0].effect_response["id"] == str(sent.id)
    assert attempts[1].nonce_hit and attempts[1].json["nonce"] == attempts[0].json["nonce"]
    assert d.nonce_hits == hits + 1
    assert [m["id"] for m in d.top_level_messages(cid)] == [str(sent.id)]
    assert len(_creates(d, cid)) == 1
    env.assert_clean()


def test_lost_response_connection_closed_then_restart_with_the_same_nonce(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "lost-conn")
    # refused outright (no after_effect): nothing is created, the caller sees the disconnection
    d.inject("POST /channels/{channel_id}/messages", status=0)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        env.run(channel.send("never made", nonce="story:7"))
    assert d.top_level_messages(cid) == []
    # carried out, then the connection drops: "Discord created it", the bot never learnt the id
    d.inject("POST /channels/{channel_id}/messages", status=0, after_effect=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):  # discord.py does not retry this
        env.run(channel.send("story 7", nonce="story:7"))
    (created,) = d.top_level_messages(cid)
    assert created["content"] == "story 7" and created["nonce"] == "story:7"
    lost = d.requests_to("POST /channels/{channel_id}/messages")[-1]
    assert (lost.status, lost.fault, lost.effect_status, lost.response) == (0, "0", 200, None)
    assert len(_creates(d, cid)) == 1  # dispatched: a running bot would have seen its own message
    # the restarted bot sends again with the nonce it derived from the story: Discord gives it back
    again = env.run(channel.send("story 7", nonce="story:7"))
    assert str(again.id) == created["id"] and len(d.top_level_messages(cid)) == 1
    # ...whereas a fresh (random) nonce makes the duplicate this is all about
    env.run(channel.send("story 7"))
    assert len(d.top_level_messages(cid)) == 2
    env.assert_clean()


def test_second_thread_on_a_message_is_160004(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "threads-once")

    async def root_and_thread() -> tuple[Any, Any]:
        root = await channel.send("briefing with a thread")
        return root, await root.create_thread(name="Discussion")

    root, thread = env.run(root_and_thread())
    assert thread.id == root.id and d.thread_of(root.id)["id"] == str(root.id)
    with pytest.raises(discord.HTTPException) as again:
        env.run(root.create_thread(name="Discussion again"))
    assert (again.value.status, again.value.code) == (400, 160004)
    assert again.value.text == "A thread has already been created for this message"
    # a lost response to the thread start: discord.py retries the 500 and gets the 160004 itself
    other = env.run(channel.send("another briefing"))
    d.inject("POST /channels/{channel_id}/messages/{message_id}/threads", status=500, after_effect=True)
    with pytest.raises(discord.HTTPException) as lost:
        env.run(other.create_thread(name="Discussion"))
    assert lost.value.code == 160004
    assert d.thread_of(other.id)["name"] == "Discussion"
    assert sorted(t["id"] for t in d.threads(cid)) == sorted([str(root.id), str(other.id)])
    assert d.thread_of(env.run(channel.send("no thread")).id) is None
    env.assert_clean()  # 160004 is Discord's answer, not a client violation


def test_forum_post_is_a_thread_whose_starter_message_has_its_id(env: Env) -> None:
    d = env.d
    fid = d.add_channel(env.guild, "news-forum", type=15, tags=["Iran", "Sports"], require_tag=True)

    async def post() -> Any:
        forum = await env.client.fetch_channel(fid)
        assert isinstance(forum, discord.ForumChannel) and forum.flags.require_tag
        tag = next(t for t in forum.available_tags if t.name == "Iran")
        made = await forum.create_thread(name="Talks resume", content="the briefing", applied_tags=[tag])
        await made.thread.send("an update inside the post")
        return made, tag

    made, tag = env.run(post())
    assert made.thread.id == made.message.id  # Discord gives the starter message the post's id
    (stored,) = d.threads(fid)
    assert stored["name"] == "Talks resume" and stored["applied_tags"] == [str(tag.id)]
    assert [m["content"] for m in d.messages(made.thread.id)] == ["the briefing", "an update inside the post"]
    assert d.message(made.message.id)["channel_id"] == str(made.thread.id)
    env.assert_clean()

    async def untagged() -> None:
        forum = await env.client.fetch_channel(fid)
        await forum.create_thread(name="No tag", content="x")

    with pytest.raises(discord.HTTPException) as refused:  # REQUIRE_TAG: Discord's refusal, not a violation
        env.run(untagged())
    assert refused.value.code == 40067 and len(d.threads(fid)) == 1
    env.assert_clean()
    with pytest.raises(discord.HTTPException) as direct:  # a forum holds posts, not messages
        env.run(env.client.get_partial_messageable(fid, guild_id=env.guild).send("straight into the forum"))
    assert direct.value.code == 50008
    assert any("non-text channel type 15" in v for v in d.take_violations())


def test_history_pages_newest_first_with_threads_embeds_components(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "history")

    class Buttons(discord.ui.View):
        @discord.ui.button(label="More", custom_id="history:more")
        async def more(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            await interaction.response.defer()

    async def post() -> list[Any]:
        sent = [await channel.send(f"m{i}") for i in range(5)]
        sent.append(await channel.send("rich", embed=discord.Embed(title="Briefing", description="d"),
                                       view=Buttons(timeout=None)))
        await sent[2].create_thread(name="on m2")
        return sent

    sent = env.run(post())
    ids = [str(m.id) for m in sent]
    d.post_user_message(cid, env.alice, "a reader's note")
    user_id = d.top_level_messages(cid, author_bot=False)[0]["id"]
    ids.append(user_id)

    def page(query: str, where: int = cid) -> list[str]:
        status, body = _call_sync(d, "GET", f"/channels/{where}/messages{query}")
        assert status == 200, body
        return [m["id"] for m in body]

    assert page("") == ids[::-1]  # default limit 50, newest first
    assert page("?limit=3") == ids[:-4:-1]
    assert page(f"?before={ids[3]}&limit=2") == [ids[2], ids[1]]
    assert page(f"?after={ids[1]}&limit=2") == [ids[3], ids[2]]  # the 2 right after, still newest first
    assert page(f"?around={ids[3]}&limit=3") == [ids[4], ids[3], ids[2]]
    assert page(f"?around={ids[3]}&limit=1") == [ids[3]]
    _, body = _call_sync(d, "GET", f"/channels/{cid}/messages?limit=100")
    by_id = {m["id"]: m for m in body}
    assert by_id[ids[2]]["thread"]["id"] == ids[2] and by_id[ids[2]]["thread"]["parent_id"] == str(cid)
    assert by_id[ids[2]]["flags"] & 32  # HAS_THREAD
    assert "thread" not in by_id[ids[1]]
    assert by_id[ids[5]]["embeds"][0]["title"] == "Briefing"
    assert by_id[ids[5]]["components"][0]["components"][0]["custom_id"] == "history:more"
    assert by_id[ids[0]]["author"]["id"] == str(d.bot_user_id) and by_id[user_id]["author"]["id"] == str(env.alice)
    for bad in ("?limit=0", "?limit=101", "?before=abc"):
        status, err = _call_sync(d, "GET", f"/channels/{cid}/messages{bad}")
        assert status == 400 and err["code"] == 50035
    assert len(d.take_violations()) == 3
    assert page(f"?before={ids[3]}&after={ids[0]}") and any("mutually exclusive" in v for v in d.take_violations())

    # discord.py's own paging (limit 100 pages, before=) parses all of it
    history = env.run(_collect(channel.history(limit=None)))
    assert [str(m.id) for m in history] == ids[::-1]
    by_obj = {str(m.id): m for m in history}
    assert by_obj[ids[2]].thread is not None and by_obj[ids[2]].thread.name == "on m2"
    assert by_obj[ids[5]].embeds[0].title == "Briefing"
    assert by_obj[ids[5]].components[0].children[0].custom_id == "history:more"
    # a thread's messages page the same way
    thread_id = int(ids[2])
    thread = env.client.get_partial_messageable(thread_id, guild_id=env.guild)
    in_thread = [str(env.run(thread.send(f"t{i}")).id) for i in range(3)]
    assert page("?limit=2", thread_id) == in_thread[:0:-1]
    assert page(f"?after={in_thread[0]}", thread_id) == in_thread[:0:-1]
    assert [str(m.id) for m in env.run(_collect(thread.history(limit=10, oldest_first=True)))] == in_thread
    assert d.thread_of(int(ids[2]))["message_count"] == 3
    assert d.message(int(ids[2]))["thread"]["message_count"] == 3  # the current thread, not a snapshot
    env.assert_clean()


async def _collect(iterator: Any) -> list[Any]:
    return [x async for x in iterator]


def test_edits_are_recorded_and_all_or_nothing(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "edits")

    async def post_and_edit() -> Any:
        m = await channel.send("draft")
        m = await m.edit(content="final")
        return await m.edit(embed=discord.Embed(title="Sources"))

    m = env.run(post_and_edit())
    edits = d.edits_of(m.id)
    assert len(edits) == 2 and edits[0]["content"] == "final" and "embeds" not in edits[0]  # bodies as sent
    assert edits[1]["embeds"][0]["title"] == "Sources" and "content" not in edits[1]
    status, body = _call_sync(d, "PATCH", f"/channels/{cid}/messages/{m.id}", {"content": "", "embeds": []})
    assert (status, body["code"]) == (400, 50006)
    assert any("empty" in v for v in d.take_violations())
    assert len(d.edits_of(m.id)) == 2  # the refused edit is not there...
    stored = d.message(m.id)
    assert stored["content"] == "final" and stored["embeds"][0]["title"] == "Sources"  # ...nor applied
    assert d.edits_of(12345) == []
    env.assert_clean()


def test_top_level_messages_leave_out_threads_users_and_ephemeral(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "top-level")

    async def post() -> Any:
        root = await channel.send("briefing")
        thread = await root.create_thread(name="talk")
        await thread.send("in the thread")
        return root

    root = env.run(post())
    d.post_user_message(cid, env.alice, "reader")
    assert [m["content"] for m in d.top_level_messages(cid)] == ["briefing"]
    assert d.top_level_messages(cid)[0]["thread"]["name"] == "talk"
    assert [m["content"] for m in d.top_level_messages(cid, author_bot=False)] == ["reader"]
    assert [m["content"] for m in d.top_level_messages(cid, author_bot=None)] == ["briefing", "reader"]
    assert [m["content"] for m in d.messages(root.id)] == ["in the thread"]
    env.assert_clean()


def test_system_channel(env: Env) -> None:
    d = env.d
    joined = env.soon(env.client.wait_for("guild_join", check=lambda g: g.name == "With System", timeout=10))
    gid = d.add_guild("With System", system_channel=True)
    guild = joined.result(10)
    general = d.system_channel(gid)
    assert general is not None and guild.system_channel is not None
    assert guild.system_channel.id == general and guild.system_channel.name == "general"
    create = next(g for e, g in d.dispatched("GUILD_CREATE") if g["id"] == str(gid))
    assert create["system_channel_id"] == str(general) and create["channels"][0]["name"] == "general"
    news = d.add_channel(gid, "news")

    def updated(check: Any) -> Any:
        return env.soon(env.client.wait_for("guild_update", check=lambda before, after: check(after), timeout=10))

    moved = updated(lambda g: g.system_channel is not None and g.system_channel.id == news)
    d.set_system_channel(gid, news)
    moved.result(10)
    cleared = updated(lambda g: g.system_channel is None)
    d.set_system_channel(gid, None)
    cleared.result(10)
    assert d.system_channel(gid) is None
    d.set_system_channel(gid, general)
    assert _call_sync(d, "GET", f"/guilds/{gid}")[1]["system_channel_id"] == str(general)
    gone = updated(lambda g: g.system_channel is None)
    d.delete_channel(general)  # deleting the system channel unsets it
    gone.result(10)
    assert d.system_channel(gid) is None
    with pytest.raises(ValueError):
        d.set_system_channel(gid, env.channel)  # another guild's channel
    plain = d.add_guild("Without System")
    assert d.system_channel(plain) is None
    assert next(g for e, g in d.dispatched("GUILD_CREATE") if g["id"] == str(plain))["system_channel_id"] is None
    env.assert_clean()


def test_user_message_in_a_thread_mentioning_the_bot(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "asks")

    async def thread() -> Any:
        root = await channel.send("briefing")
        return await root.create_thread(name="questions")

    th = env.run(thread())
    bot = d.bot_user_id
    got = env.soon(env.client.wait_for("message", check=lambda m: m.author.id == env.alice, timeout=10))
    posted = d.post_user_message(th.id, env.alice, "what did outlet B say?", mention_bot=True)
    message = got.result(10)
    assert posted["content"] == f"<@{bot}> what did outlet B say?"
    assert message.content == f"<@{bot}> what did outlet B say?"  # visible without MESSAGE_CONTENT: mentioned
    assert message.channel.id == th.id and isinstance(message.channel, discord.Thread)
    assert message.channel.parent_id == cid and message.guild.id == env.guild
    assert env.client.user in message.mentions
    event = next(m for m in reversed(_creates(d, th.id)) if m["id"] == posted["id"])
    assert event["channel_id"] == str(th.id) and event["guild_id"] == str(env.guild)
    assert [u["id"] for u in event["mentions"]] == [str(bot)] and "member" in event
    got = env.soon(env.client.wait_for("message", check=lambda m: m.author.id == env.alice, timeout=10))
    d.post_user_message(th.id, env.alice, "just chatting")
    assert got.result(10).content == ""  # not mentioned, no MESSAGE_CONTENT intent: no content
    env.assert_clean()


def test_permission_loss_and_deletion_reach_threads_edits_and_new_threads(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "revoked")

    async def setup() -> tuple[Any, Any, Any, Any]:
        root = await channel.send("briefing")
        thread = await root.create_thread(name="talk")
        reply = await thread.send("reply")
        bare_root = await channel.send("no thread yet")
        return root, thread, reply, bare_root

    root, thread, reply, bare_root = env.run(setup())
    th = env.client.get_partial_messageable(thread.id, guild_id=env.guild)

    def attempts() -> dict[str, Any]:
        return {
            "send": channel.send("x"),
            "send in thread": th.send("x"),
            "edit": channel.get_partial_message(root.id).edit(content="edited"),
            "edit in thread": th.get_partial_message(reply.id).edit(content="edited"),
            "start thread": channel.get_partial_message(bare_root.id).create_thread(name="new"),
        }

    def outcomes() -> dict[str, tuple[int, int] | str]:
        out: dict[str, tuple[int, int] | str] = {}
        for name, coro in attempts().items():
            try:
                env.run(coro)
                out[name] = "ok"
            except discord.HTTPException as e:
                out[name] = (e.status, e.code)
        return out

    d.set_bot_permissions(cid, False)
    assert outcomes() == dict.fromkeys(ATTEMPTS, (403, 50013))
    assert d.messages(cid) and _call_sync(d, "GET", f"/channels/{cid}/messages")[0] == 200  # still readable
    d.set_bot_permissions(cid, True)
    assert outcomes() == dict.fromkeys(ATTEMPTS, "ok")
    assert [e["content"] for e in d.edits_of(root.id)] == ["edited"]  # the refused edit is not recorded
    bare_root = env.run(channel.send("another, no thread"))
    d.delete_channel(cid)
    assert outcomes() == dict.fromkeys(ATTEMPTS, (404, 10003))
    env.assert_clean()


ATTEMPTS = ["send", "send in thread", "edit", "edit in thread", "start thread"]


def test_global_429_bursts_are_waited_out(env: Env) -> None:
    d = env.d
    cid, channel = _fresh_channel(env, "slow-consumer")
    route = "POST /channels/{channel_id}/messages"

    def attempts() -> list[RecordedRequest]:
        return [r for r in d.requests_to(route) if r.params["channel_id"] == str(cid)]

    # 4 global 429s: discord.py (5 tries per request) waits each out and the 5th try lands
    d.inject(route, status=429, retry_after=0.2, count=4, global_=True)
    started = time.monotonic()
    env.run(channel.send("after four"))
    assert time.monotonic() - started >= 0.75  # 4 x 0.2 s waited out
    assert [r.status for r in attempts()] == [429] * 4 + [200]
    assert attempts()[0].response["global"] is True and attempts()[0].response["retry_after"] == 0.2
    # 5 in a row use up discord.py's tries: send() raises, nothing was created; the bot's own retry
    # with the same nonce then ends in exactly one message
    d.inject(route, status=429, retry_after=0.2, count=5, global_=True)
    with pytest.raises(discord.HTTPException) as limited:
        env.run(channel.send("after five", nonce="five"))
    assert limited.value.status == 429
    assert [m["content"] for m in d.top_level_messages(cid)] == ["after four"]
    env.run(channel.send("after five", nonce="five"))
    assert [m["content"] for m in d.top_level_messages(cid)] == ["after four", "after five"]
    # a burst of 20: four failed send()s, the fifth succeeds; one message
    d.inject(route, status=429, retry_after=0.05, count=20, global_=True)
    failures = 0
    for _ in range(6):
        try:
            env.run(channel.send("after the burst", nonce="burst"))
            break
        except discord.HTTPException as e:
            assert e.status == 429
            failures += 1
    assert failures == 4
    assert [m["content"] for m in d.top_level_messages(cid)].count("after the burst") == 1
    assert d.clear_faults() == 0
    env.assert_clean()


# ---------------------------------------------------------------------------------------------
# The HTTP side without a client: violations, auth, spec-less mode, the raw gateway
# ---------------------------------------------------------------------------------------------


async def _call(d: DiscordStandIn, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {token or d.token}"}
    async with aiohttp.ClientSession() as s, s.request(method, d.api_base + path, json=body, headers=headers) as r:
        text = await r.text()
        return r.status, (json.loads(text) if text else None)


def _call_sync(d: DiscordStandIn, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    return asyncio.run(_call(d, method, path, body, token))


@pytest.fixture
def bare() -> Iterator[tuple[DiscordStandIn, int, int]]:
    with DiscordStandIn() as d:
        guild = d.add_guild("G")
        yield d, guild, d.add_channel(guild, "c")


def test_limits_produce_violations_and_discord_errors(bare: tuple[DiscordStandIn, int, int]) -> None:
    d, guild, channel = bare
    status, body = _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035
    assert body["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    (v,) = d.take_violations()
    assert "content" in v and "2000" in v

    embeds = [{"title": "a", "description": "y" * 3000}, {"description": "z" * 3000}]
    status, body = _call_sync(d, "POST", f"/channels/{channel}/messages", {"embeds": embeds})
    assert status == 400
    assert any("6000" in v for v in d.take_violations())
    assert d.messages(channel) == []

    status, _ = _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "fine", "embeds": embeds[:1]})
    assert status == 200 and d.violations == []

    status, _ = _call_sync(d, "POST", f"/channels/{channel}/threads", {"name": "n" * 101, "type": 11})
    assert status == 400 and any("name" in v for v in d.take_violations())

    bad = [{"name": "Brief Me", "description": "d", "type": 1}, {"name": "ok", "description": "", "type": 1}]
    status, _ = _call_sync(d, "PUT", f"/applications/{d.application_id}/guilds/{guild}/commands", bad)
    assert status == 400
    problems = d.take_violations()
    assert any("Brief Me" in v for v in problems) and any("description" in v for v in problems)
    assert d.commands(guild) == []

    status, _ = _call_sync(d, "POST", f"/channels/{channel}/messages", {})
    assert status == 400 and any("empty message" in v for v in d.take_violations())

    status, _ = _call_sync(d, "GET", "/channels/1/not-a-route")
    assert status == 404 and any("unimplemented route" in v for v in d.take_violations())


def test_autocomplete_choice_limits(bare: tuple[DiscordStandIn, int, int]) -> None:
    d, guild, channel = bare
    cmd = [{"name": "actor", "description": "an actor", "options": [
        {"name": "name", "description": "who", "type": 3, "autocomplete": True}]}]
    assert _call_sync(d, "PUT", f"/applications/{d.application_id}/guilds/{guild}/commands", cmd)[0] == 200
    alice = d.add_user("alice")
    # no bot is connected: the interaction is recorded, and we answer it by hand
    ix = d.invoke(guild, channel, alice, "actor", options={"name": "kha"})
    choices = [{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]
    status, _ = _call_sync(d, "POST", f"/interactions/{ix.id}/{ix.token}/callback", {"type": 8, "data": {"choices": choices}})
    assert status == 400
    violations = d.take_violations()
    assert any("25" in v for v in violations), violations  # 26 choices, 25 at most: checked with or without the spec
    if d.spec.enabled:  # type 8 isn't valid for a command interaction: only the OpenAPI spec says so
        assert len(violations) >= 2, violations


def test_interaction_deadline_and_double_acknowledgement() -> None:
    with DiscordStandIn(interaction_deadline=0.0) as d:  # every callback is "late"
        guild = d.add_guild("G")
        channel = d.add_channel(guild, "c")
        cmd = [{"name": "ping", "description": "ping"}]
        assert _call_sync(d, "PUT", f"/applications/{d.application_id}/guilds/{guild}/commands", cmd)[0] == 200
        ix = d.invoke(guild, channel, d.add_user("u"), "ping")
        status, body = _call_sync(d, "POST", f"/interactions/{ix.id}/{ix.token}/callback?with_response=true",
                                  {"type": 4, "data": {"content": "pong"}})
        assert (status, body["code"]) == (404, 10062)
        assert any("deadline" in v for v in d.take_violations())
        d.interaction_deadline = None
        assert _call_sync(d, "POST", f"/interactions/{ix.id}/{ix.token}/callback", {"type": 4,
                                                                                   "data": {"content": "pong"}})[0] == 204
        assert ix.wait_final(1)["content"] == "pong"
        status, body = _call_sync(d, "POST", f"/interactions/{ix.id}/{ix.token}/callback", {"type": 5})
        assert (status, body["code"]) == (400, 40060)
        assert any("second callback" in v for v in d.take_violations())


def test_bad_token_is_refused(bare: tuple[DiscordStandIn, int, int]) -> None:
    d, _, _ = bare
    assert _call_sync(d, "GET", "/users/@me", token="wrong")[0] == 401

    async def identify(token: str) -> tuple[int | None, dict[str, Any]]:
        async with aiohttp.ClientSession() as s, s.ws_connect(d.gateway_url + "?v=10&encoding=json") as ws:
            hello = await ws.receive_json(timeout=5)
            await ws.send_json({"op": 2, "d": {"token": token, "intents": 513, "properties": {}}})
            msg = await ws.receive(timeout=5)
            return ws.close_code if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) else None, hello

    code, hello = asyncio.run(identify("wrong"))
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
    assert code == 4004
    assert d.identifies == 0


def test_raw_gateway_identify_heartbeat_resume(bare: tuple[DiscordStandIn, int, int]) -> None:
    d, guild, channel = bare

    async def scenario() -> None:
        url = d.gateway_url + "?v=10&encoding=json"
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(url) as ws:
                await ws.receive_json(timeout=5)
                await ws.send_json({"op": 1, "d": None})
                assert (await ws.receive_json(timeout=5))["op"] == 11
                await ws.send_json({"op": 2, "d": {"token": d.token, "intents": 1 | 512, "properties": {}}})
                ready = await ws.receive_json(timeout=5)
                assert ready["t"] == "READY" and ready["s"] == 1
                assert ready["d"]["guilds"] == [{"id": str(guild), "unavailable": True}]
                create = await ws.receive_json(timeout=5)
                assert create["t"] == "GUILD_CREATE" and create["d"]["channels"][0]["id"] == str(channel)
                session, seq = ready["d"]["session_id"], create["s"]
            d.wait_for(lambda d: not d.connected, 5)
            d.post_user_message(channel, d.add_user("bob"), "while you were away")
            async with s.ws_connect(ready["d"]["resume_gateway_url"] + "?v=10&encoding=json") as ws:
                await ws.receive_json(timeout=5)
                await ws.send_json({"op": 6, "d": {"token": d.token, "session_id": session, "seq": seq}})
                missed = await ws.receive_json(timeout=5)
                assert missed["t"] == "MESSAGE_CREATE" and missed["d"]["content"] == ""  # no MESSAGE_CONTENT
                assert (await ws.receive_json(timeout=5))["t"] == "RESUMED"
            async with s.ws_connect(url) as ws:
                await ws.receive_json(timeout=5)
                await ws.send_json({"op": 6, "d": {"token": d.token, "session_id": "nope", "seq": 1}})
                invalid = await ws.receive_json(timeout=5)
                assert invalid == {"op": 9, "d": False, "s": None, "t": None}

    asyncio.run(scenario())
    assert d.identifies == 1 and d.resumes == 1 and d.invalid_resumes == 1
    assert d.violations == []


def test_validation_skips_cleanly_without_the_spec(tmp_path: Any) -> None:
    spec_only = {"content": "hi", "tts": "yes"}  # tts must be a boolean: only the spec knows
    with DiscordStandIn(spec_path=None) as d:
        assert not d.validation_enabled and "spec_path=None" in d.validation_skip_reason
        guild = d.add_guild("G")
        channel = d.add_channel(guild, "c")
        assert _call_sync(d, "POST", f"/channels/{channel}/messages", spec_only)[0] == 200
        assert d.violations == []
        assert _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "x" * 2001})[0] == 400
        assert len(d.violations) == 1  # the documented limits are still checked
    with DiscordStandIn(spec_path=tmp_path / "absent.json") as d:
        assert not d.validation_enabled and "absent" in d.validation_skip_reason
    with DiscordStandIn() as d:
        if not d.validation_enabled:
            pytest.skip(d.validation_skip_reason)
        guild = d.add_guild("G")
        channel = d.add_channel(guild, "c")
        assert _call_sync(d, "POST", f"/channels/{channel}/messages", spec_only)[0] == 400
        (v,) = d.violations
        assert "tts" in v and "[openapi]" in v


def test_wait_for_times_out_with_a_useful_message(bare: tuple[DiscordStandIn, int, int]) -> None:
    d, _, _ = bare
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="waiting for the bot to IDENTIFY"):
        d.wait_ready(timeout=0.2)
    assert time.monotonic() - started < 2


def test_nonce_window_and_limits() -> None:
    with DiscordStandIn(nonce_window_s=0.0) as d:  # every earlier nonce is already out of the window
        guild = d.add_guild("G")
        channel = d.add_channel(guild, "c")
        body = {"content": "x", "nonce": "n1", "enforce_nonce": True}
        first = _call_sync(d, "POST", f"/channels/{channel}/messages", body)[1]
        second = _call_sync(d, "POST", f"/channels/{channel}/messages", body)[1]
        assert first["id"] != second["id"] and d.nonce_hits == 0
        d.nonce_window_s = 300.0
        third = _call_sync(d, "POST", f"/channels/{channel}/messages", body)[1]
        assert third["id"] == second["id"] and d.nonce_hits == 1  # the latest message with that nonce
        # integer nonces work too (Discord echoes them back as sent)
        a = _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "i", "nonce": 7, "enforce_nonce": True})
        b = _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "i", "nonce": 7, "enforce_nonce": True})
        assert a[1]["id"] == b[1]["id"] and a[1]["nonce"] == 7
        # a deleted message does not block its nonce
        assert _call_sync(d, "DELETE", f"/channels/{channel}/messages/{a[1]['id']}")[0] == 204
        c = _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "i", "nonce": 7, "enforce_nonce": True})
        assert c[1]["id"] != a[1]["id"]
        status, err = _call_sync(d, "POST", f"/channels/{channel}/messages",
                                 {"content": "x", "nonce": "n" * 26, "enforce_nonce": True})
        assert status == 400 and "nonce" in err["errors"]
        assert any("nonce" in v for v in d.take_violations())
        assert d.violations == []


def test_lost_response_on_an_edit_and_global_429_headers(bare: tuple[DiscordStandIn, int, int]) -> None:
    d, guild, channel = bare
    msg = _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "v1"})[1]
    route = "PATCH /channels/{channel_id}/messages/{message_id}"
    fault = d.inject(route, status=500, after_effect=True)
    assert _call_sync(d, "PATCH", f"/channels/{channel}/messages/{msg['id']}", {"content": "v2"})[0] == 500
    assert fault.remaining == 0
    assert d.message(msg["id"])["content"] == "v2" and d.edits_of(msg["id"]) == [{"content": "v2"}]
    (patch,) = d.requests_to(route)
    assert patch.effect_status == 200 and patch.effect_response["content"] == "v2"

    async def limited() -> tuple[int, dict[str, str], Any]:
        async with aiohttp.ClientSession() as s, s.post(d.api_base + f"/channels/{channel}/messages",
                                                        json={"content": "x"},
                                                        headers={"Authorization": f"Bot {d.token}"}) as r:
            return r.status, dict(r.headers), await r.json()

    d.inject(status=429, retry_after=0.2, count=20, global_=True)
    status, headers, body = asyncio.run(limited())
    assert status == 429 and headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert headers["Retry-After"] == "0.200" and headers["Via"]
    assert body == {"message": "You are being rate limited.", "retry_after": 0.2, "global": True, "code": 0}
    assert d.clear_faults() == 1
    assert _call_sync(d, "POST", f"/channels/{channel}/messages", {"content": "x"})[0] == 200
    assert d.violations == []


def test_intents_guild_messages_and_message_content() -> None:
    async def identify(d: DiscordStandIn, intents: int, then: Any = None) -> Any:
        async with aiohttp.ClientSession() as s, s.ws_connect(d.gateway_url + "?v=10&encoding=json") as ws:
            await ws.receive_json(timeout=5)
            await ws.send_json({"op": 2, "d": {"token": d.token, "intents": intents, "properties": {}}})
            msg = await ws.receive(timeout=5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return ws.close_code or msg.data
            frame = json.loads(msg.data)
            assert frame["t"] == "READY"
            await ws.receive_json(timeout=5)  # GUILD_CREATE
            if then is None:
                return "READY"
            then()
            return (await ws.receive_json(timeout=5))["d"]

    guilds, guild_messages, message_content = 1, 1 << 9, 1 << 15
    with DiscordStandIn(allowed_privileged_intents=0) as d:  # privileged intents off in the portal
        d.add_guild("G")
        assert asyncio.run(identify(d, guild_messages)) == "READY"  # not privileged
        assert asyncio.run(identify(d, guilds | guild_messages)) == "READY"
        assert asyncio.run(identify(d, guilds | guild_messages | message_content)) == 4014
    with DiscordStandIn() as d:  # this test app has the privileged intents enabled
        guild = d.add_guild("G")
        channel = d.add_channel(guild, "c")
        bob = d.add_user("bob")
        seen = asyncio.run(identify(d, guilds | guild_messages | message_content,
                                    lambda: d.post_user_message(channel, bob, "no mention needed")))
        assert seen["content"] == "no mention needed" and seen["mentions"] == []
        assert d.intents == guilds | guild_messages | message_content
        seen = asyncio.run(identify(d, guilds | guild_messages,
                                    lambda: d.post_user_message(channel, bob, "hidden")))
        assert seen["content"] == ""
        assert d.violations == []
