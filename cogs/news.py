"""/brief, /ask and /why."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.render import edit_kwargs, send_reply
from bot.presenters.answers import present_answer
from bot.presenters.briefs import present_brief
from bot.presenters.why import present_why
from bot.services.views import AnswerView

if TYPE_CHECKING:
    from bot.discord.client import Briefbot


class NewsCog(commands.Cog):
    def __init__(self, bot: Briefbot) -> None:
        self.bot = bot
        self.app = bot.app

    @app_commands.command(name="brief", description="The latest stories, overall or on a topic")
    @app_commands.describe(topic="A few words, e.g. Iran Israel tensions (+word requires, -word excludes)",
                           since="How far back: 24h, 3d, 2w, today or a date (default 24h)")
    @app_commands.guild_only()
    async def brief(self, interaction: discord.Interaction, topic: app_commands.Range[str, 1, 200] | None = None,
                    since: app_commands.Range[str, 1, 40] | None = None) -> None:
        await interaction.response.defer(thinking=True)
        if topic:
            await self.bot.models_ready()
        result = await self.app.briefs.latest(interaction.guild_id or 0, topic=topic, since=since)
        await send_reply(interaction, present_brief(result))

    @app_commands.command(name="ask", description="Ask a question; answered from recent articles, with sources")
    @app_commands.describe(question="What you want to know")
    @app_commands.guild_only()
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 500]) -> None:
        await interaction.response.defer(thinking=True)
        await self.bot.models_ready()
        guild_id = interaction.guild_id or 0
        channel = interaction.channel
        streamed = False

        async def progress(view: AnswerView) -> None:  # the "thinking…" reply shows the answer as it grows
            nonlocal streamed
            await interaction.edit_original_response(**edit_kwargs(present_answer(view)))
            streamed = True

        if isinstance(channel, discord.Thread) and await self.app.threads.stories_of(channel.id):
            view = await self.app.threads.answer(guild_id, channel.id, question,  # from the thread's story
                                                 on_progress=progress)
        else:
            view = await self.app.asking.ask(guild_id, question, on_progress=progress)
        if streamed:
            await interaction.edit_original_response(**edit_kwargs(present_answer(view)))
        else:
            await send_reply(interaction, present_answer(view))

    @app_commands.command(name="why", description="What happened to an article: fetched, story, topics")
    @app_commands.describe(url="The article's web address")
    @app_commands.guild_only()
    async def why(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2048]) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await self.bot.models_ready()
        perms = interaction.permissions
        trace = await self.app.why.trace(interaction.guild_id or 0, url,
                                         subscriptions=perms.manage_guild or perms.administrator)
        reply = present_why(trace)
        await send_reply(interaction, reply)
