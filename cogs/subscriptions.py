"""/subscribe, /unsubscribe and /subscriptions: for members with Manage Server only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery.forum import matching_tag
from bot.delivery.preview import next_post, preview_reply, send_test
from bot.discord.errors import require_manager
from bot.discord.render import send_reply
from bot.errors import InvalidInputError
from bot.presenters.subscriptions import (
    present_subscribed,
    present_subscriptions,
    present_test_sent,
    present_unsubscribed,
)

if TYPE_CHECKING:
    from bot.discord.client import Briefbot

MODES = [app_commands.Choice(name="each story as it arrives", value="realtime"),
         app_commands.Choice(name="hourly digest", value="hourly"),
         app_commands.Choice(name="daily digest", value="daily")]
STYLES = [app_commands.Choice(name="card: the briefing in an embed", value="card"),
          app_commands.Choice(name="compact: one line, title, outlets, link", value="compact"),
          app_commands.Choice(name="plain: text without embeds", value="plain")]


def pingable(interaction: discord.Interaction, role: discord.Role) -> int:
    """The role's id when the bot may ping it; a clear refusal otherwise (@everyone, whose id is the
    guild's, is refused by the subscription service)."""
    if not role.is_default() and not (role.mentionable or interaction.app_permissions.mention_everyone):
        raise InvalidInputError(f"the bot may not ping @{role.name[:80]}: make the role mentionable (Server "
                                "Settings > Roles) or give the bot 'Mention @everyone, @here and All Roles'")
    return role.id


class PostChannel(app_commands.Transformer):
    """A text, announcement or forum channel. Media channels (forum-like, type 16) are left out:
    their posts need an image or a video, and a briefing has neither."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]

    async def transform(self, interaction: discord.Interaction,
                        value: object) -> discord.TextChannel | discord.ForumChannel:
        channel = value.resolve() if isinstance(value, app_commands.AppCommandChannel) else value
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise InvalidInputError("Briefbot can't see that channel: check its permissions there")
        return channel


def postable(channel: discord.TextChannel | discord.ForumChannel, topic: str) -> int:
    """The channel's id; a forum that requires a tag on each post must have one that names the
    topic (posts carry that tag)."""
    if isinstance(channel, discord.ForumChannel) and channel.flags.require_tag and \
            matching_tag(topic, [t.name for t in channel.available_tags]) is None:
        raise InvalidInputError(f"#{channel.name[:80]} requires a tag on each post and none of its tags names "
                                f"'{topic[:80]}': add a tag for the topic to the forum, or subscribe with a topic "
                                "that one of its tags names")
    return channel.id


class SubscriptionsCog(commands.Cog):
    def __init__(self, bot: Briefbot) -> None:
        self.bot = bot
        self.app = bot.app

    @app_commands.command(name="subscribe", description="Post stories on a topic to a channel")
    @app_commands.describe(topic="A few words, e.g. Iran Israel tensions", channel="Where to post: a text or forum channel (default: here)",
                           mode="Each story as it arrives, or a digest", keywords="Comma-separated; +word requires, "
                           "-word excludes", min_sources="Wait until this many outlets report a story",
                           time="Daily digest time, HH:MM (default 08:00)", timezone="e.g. Europe/Berlin (default UTC)",
                           cap="Most stories per hour in real time; more go into an hourly digest (default 10)",
                           style="How posts look (default card)", mention="A role to ping on each new story",
                           no_mention="Stop pinging the role")
    @app_commands.choices(mode=MODES, style=STYLES)
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def subscribe(self, interaction: discord.Interaction, topic: app_commands.Range[str, 1, 200],
                        channel: app_commands.Transform[discord.TextChannel | discord.ForumChannel, PostChannel]
                        | None = None, mode: str | None = None,
                        keywords: app_commands.Range[str, 1, 500] | None = None,
                        min_sources: app_commands.Range[int, 1, 20] | None = None,
                        time: app_commands.Range[str, 4, 5] | None = None,
                        timezone: app_commands.Range[str, 1, 64] | None = None,
                        cap: app_commands.Range[int, 1, 60] | None = None, style: str | None = None,
                        mention: discord.Role | None = None, no_mention: bool = False) -> None:
        require_manager(interaction)
        role_id = pingable(interaction, mention) if mention is not None else None
        await interaction.response.defer(thinking=True, ephemeral=True)  # the preview matches stories
        if channel is None and not isinstance(interaction.channel, discord.TextChannel):
            raise InvalidInputError("run /subscribe in a text channel, or name one with the channel option")
        target = postable(channel, topic) if channel is not None else interaction.channel_id
        sub = await self.app.subscriptions.subscribe(
            interaction.guild_id or 0, target or 0, topic, mode=mode, keywords=keywords, min_sources=min_sources,
            time_of_day=time, timezone=timezone, cap_per_hour=cap, style=style, mention_role_id=role_id,
            no_mention=no_mention, created_by=interaction.user.id)
        post = await next_post(self.app.briefs, interaction.guild_id or 0, sub)
        await send_reply(interaction, present_subscribed(sub, preview_reply(post), sample=post.sample))

    @app_commands.command(name="unsubscribe", description="Stop a subscription")
    @app_commands.describe(subscription="The subscription's id (from /subscriptions) or its topic")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def unsubscribe(self, interaction: discord.Interaction,
                          subscription: app_commands.Range[str, 1, 200]) -> None:
        require_manager(interaction)
        sub = await self.app.subscriptions.unsubscribe(interaction.guild_id or 0, subscription)
        await send_reply(interaction, present_unsubscribed(sub))

    @app_commands.command(name="subscriptions", description="This server's subscriptions and what they delivered")
    @app_commands.describe(test="Post one test briefing now for this subscription (its id or topic)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def subscriptions(self, interaction: discord.Interaction,
                            test: app_commands.Range[str, 1, 200] | None = None) -> None:
        require_manager(interaction)
        await interaction.response.defer(thinking=True, ephemeral=True)
        if test is not None:
            sent = await send_test(self.bot.sender, self.app.briefs, self.app.subscriptions,
                                   interaction.guild_id or 0, test, nonce=f"t{interaction.id}")
            await send_reply(interaction, present_test_sent(sent))
            return
        rows = await self.app.subscriptions.list(interaction.guild_id or 0)
        await send_reply(interaction, present_subscriptions(rows))
