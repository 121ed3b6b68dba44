"""A local stand-in for Discord's HTTP API and gateway, for end-to-end tests of the real bot.

    with DiscordStandIn() as d:                      # aiohttp on 127.0.0.1, own thread and loop
        guild = d.add_guild("News")
        channel = d.add_channel(guild, "briefings")
        alice = d.add_user("alice"); d.add_member(guild, alice, permissions=MANAGE_GUILD)
        # start the bot with token d.token, API base d.api_base, gateway d.gateway_url
        d.wait_ready()
        d.wait_for(lambda d: d.commands(guild))
        ix = d.invoke(guild, channel, alice, "brief", options={"topic": "iran"})
        msg = ix.wait_final(timeout=20)
        assert d.violations == []

Pointing discord.py at it: set ``discord.http.Route.BASE = d.api_base`` (the webhook/interaction
adapter imports the same ``Route`` class) and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY =
yarl.URL(d.gateway_url)``: a plain ``Client`` connects there and never asks ``GET /gateway/bot``
(only ``AutoShardedClient`` does). In this process: ``with d.patch_discord_py(): ...``.

API (all thread-safe and synchronous):
  attributes   api_base, gateway_url, base_url, token, application_id, bot_user_id,
               validation_enabled, validation_skip_reason, interaction_deadline (None: no 3 s rule)
  options      DiscordStandIn(..., nonce_window_s=300, allowed_privileged_intents=None (all), ...)
  world        add_guild(name, guild_id=None, owner_id=None, *, system_channel=False) -> id;
               set_system_channel(guild_id, channel_id | None); system_channel(guild_id) -> id | None;
               add_channel(guild_id, name, type=0, *, parent_id=None, channel_id=None) -> id;
               add_user(name, user_id=None) -> id; add_member(guild_id, user_id, permissions=0);
               set_bot_permissions(channel_id, allowed) (also its threads; sends, edits, new threads);
               delete_channel(channel_id)        (after connect, the matching events are dispatched)
  records      requests, requests_to(route), messages(channel_id, include_ephemeral=True),
               top_level_messages(channel_id, *, author_bot=True), message(id), thread_of(message_id),
               edits_of(message_id), nonce_hits, expire_nonces(),
               threads(parent_id), commands(guild_id=None), attachment_bytes(att),
               identifies, resumes, invalid_resumes, identify_payloads, intents, gateway_connections,
               dispatched(event=None), interactions, violations, take_violations(), self_violations
  waiting      wait_ready(timeout=30), wait_for(predicate, timeout=10, *, what=None), wake()
  as a user    invoke(guild, channel, user, name, options=None, subcommand=None, attachments=None)
               -> Interaction; autocomplete(guild, channel, user, name, option=, value=) -> choices;
               click(message, custom_id, user_id, guild_id=None, *, values=None) -> Interaction;
               submit_modal(ix, {custom_id: value}) -> Interaction;
               post_user_message(channel_id, user_id, content, mention_bot=False) -> message
  Interaction  wait_response(timeout) -> {"type", "data"}; wait_final(timeout) -> message (or data
               for autocomplete/modal); wait_followups(n, timeout); followups; original; payload;
               sent_at, responded_at, latency
  faults       inject(route, status=429, retry_after=0.5, count=1, global_=False, *, after_effect=False)
               -> Fault (status 0: connection closed, no response; after_effect: carried out, then the
               response is lost = a crash between "Discord created it" and "the bot recorded it");
               clear_faults() -> n; drop_gateway(code=None) -> n; invalidate_session(resumable=False);
               request_reconnect()

REST behaviour worth knowing: POST /channels/{id}/messages honours ``enforce_nonce`` (same author,
channel and nonce within nonce_window_s -> the earlier message, 200, nothing created); GET
/channels/{id}/messages pages newest first (limit 1-100, around/before/after), with ``thread`` on
messages that started one; a second thread on a message is 400 code 160004 (not a violation: it is
the recovery path after a lost response).

Modules: ``state`` (world + payload shapes), ``http_api`` (REST routes), ``gateway`` (websocket),
``validate`` (OpenAPI + documented limits), ``records`` (recorded requests, faults, interactions),
``server`` (``DiscordStandIn``: the thread, the lock, the public API).
"""

from .gateway import GUILD_MEMBERS, GUILD_MESSAGES, GUILDS, MESSAGE_CONTENT
from .records import Fault, Interaction, RecordedRequest, UploadedFile
from .server import DEFAULT_SPEC_PATH, DiscordStandIn
from .state import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    SEND_MESSAGES,
    VIEW_CHANNEL,
)

__all__ = [
    "ADMINISTRATOR",
    "ALL_PERMISSIONS",
    "DEFAULT_SPEC_PATH",
    "GUILDS",
    "GUILD_MEMBERS",
    "GUILD_MESSAGES",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "MESSAGE_CONTENT",
    "SEND_MESSAGES",
    "VIEW_CHANNEL",
    "DiscordStandIn",
    "Fault",
    "Interaction",
    "RecordedRequest",
    "UploadedFile",
]
