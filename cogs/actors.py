"""/actor (with autocomplete and a mentions chart) and /statements (paginated with buttons)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.errors import report, user_message
from bot.discord.render import edit_kwargs, send_reply
from bot.presenters.actors import actor_choices, mentions_chart, present_actor
from bot.presenters.message import Reply
from bot.presenters.statements import present_statements

if TYPE_CHECKING:
    from bot.discord.client import Briefbot

PAGE_TIMEOUT_S = 900


class StatementPages(discord.ui.View):
    """Newer/Older buttons for one /statements message; the query is kept here, not in Discord."""

    def __init__(self, cog: ActorsCog, guild_id: int, actor: str, topic: str | None, since: str | None) -> None:
        super().__init__(timeout=PAGE_TIMEOUT_S)
        self.cog, self.guild_id, self.actor, self.topic, self.since = cog, guild_id, actor, topic, since
        self.prefix = f"stmts:{id(self):x}"

    def show(self, reply: Reply) -> StatementPages:
        self.clear_items()
        for spec in reply.buttons:
            button: discord.ui.Button[StatementPages] = discord.ui.Button(
                label=spec.label, custom_id=spec.custom_id, disabled=spec.disabled,
                style=discord.ButtonStyle.primary if spec.style == "primary" else discord.ButtonStyle.secondary)
            button.callback = self._turn(int(spec.custom_id.rsplit(":", 1)[1]))  # type: ignore[method-assign]
            self.add_item(button)
        return self

    def _turn(self, page: int):  # type: ignore[no-untyped-def]
        async def callback(interaction: discord.Interaction) -> None:
            try:
                result = await self.cog.bot.app.actors.statements(self.guild_id, self.actor, topic=self.topic,
                                                                  since=self.since, page=page)
            except Exception as exc:  # the tree handler only sees commands; answer the click here
                await report(interaction, user_message(exc))
                return
            reply = present_statements(result, custom_id_prefix=self.prefix)
            await interaction.response.edit_message(**edit_kwargs(reply, view=self.show(reply)))

        return callback


class ActorsCog(commands.Cog):
    def __init__(self, bot: Briefbot) -> None:
        self.bot = bot
        self.app = bot.app

    async def actor_autocomplete(self, interaction: discord.Interaction,
                                 current: str) -> list[app_commands.Choice[str]]:
        names = await self.app.actors.suggest(interaction.guild_id or 0, current)
        return [app_commands.Choice(name=n, value=v) for n, v in actor_choices(names)]

    @app_commands.command(name="actor", description="Who an actor is, how often in the news, what they said")
    @app_commands.describe(name="A person, organisation or country")
    @app_commands.guild_only()
    async def actor(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]) -> None:
        await interaction.response.defer(thinking=True)
        profile = await self.app.actors.profile(interaction.guild_id or 0, name)
        chart = await asyncio.to_thread(mentions_chart, profile.per_day, f"{profile.actor.name}: articles per day")
        await send_reply(interaction, present_actor(profile, chart))

    @app_commands.command(name="statements", description="An actor's statements, word for word, newest first")
    @app_commands.describe(actor="A person, organisation or country", topic="Only statements on this topic",
                           since="How far back: 24h, 3d, 2w, today or a date")
    @app_commands.guild_only()
    async def statements(self, interaction: discord.Interaction, actor: app_commands.Range[str, 1, 100],
                         topic: app_commands.Range[str, 1, 200] | None = None,
                         since: app_commands.Range[str, 1, 40] | None = None) -> None:
        await interaction.response.defer(thinking=True)
        if topic:
            await self.bot.models_ready()
        guild_id = interaction.guild_id or 0
        page = await self.app.actors.statements(guild_id, actor, topic=topic, since=since)
        view = StatementPages(self, guild_id, actor, topic, since)
        reply = present_statements(page, custom_id_prefix=view.prefix)
        await send_reply(interaction, reply, view=view.show(reply) if reply.buttons else None)

    actor.autocomplete("name")(actor_autocomplete)
    statements.autocomplete("actor")(actor_autocomplete)
