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

from tests.support.discord import MANAGE_GUILD, DiscordStandIn

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
    assert status == 400  # type 8 isn't valid for a command interaction, and 26 > 25
    assert len(d.take_violations()) >= 2


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
