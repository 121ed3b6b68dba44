"""Questions in a briefing's thread: by mentioning the bot (or any message, with the Message
Content intent on), answered from all the story's sources with numbered citations."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
import discord
from discord.ext import commands

from bot.discord.errors import GENERIC, user_message
from bot.discord.render import NO_MENTIONS
from bot.presenters.answers import answer_messages
from bot.services.views import AnswerView
from bot.services.threads import strip_mentions

if TYPE_CHECKING:
    from bot.discord.client import Briefbot

log = logging.getLogger(__name__)


class ThreadsCog(commands.Cog):
    def __init__(self, bot: Briefbot) -> None:
        self.bot = bot
        self.app = bot.app

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or not isinstance(message.channel, discord.Thread):
            return
        me = self.bot.user
        mentioned = me is not None and any(u.id == me.id for u in message.mentions)
        if not mentioned and not self.app.settings.discord_message_content:
            return
        if not strip_mentions(message.content or ""):
            return
        if not await self.app.threads.stories_of(message.channel.id):
            return  # not one of Briefbot's briefing threads
        shown: discord.Message | None = None  # a streamed answer's reply, edited as it grows

        async def progress(view: AnswerView) -> None:
            nonlocal shown
            text = answer_messages(view)[0]
            if shown is None:
                shown = await message.channel.send(text, allowed_mentions=NO_MENTIONS, reference=message,
                                                   mention_author=False)
            else:
                await shown.edit(content=text, allowed_mentions=NO_MENTIONS)

        try:
            async with message.channel.typing():
                await self.bot.models_ready()
                view = await self.app.threads.answer(message.guild.id, message.channel.id, message.content,
                                                     on_progress=progress)
            parts = answer_messages(view)
        except Exception as exc:  # one short line in the thread; details in the log
            text = user_message(exc)
            if text == GENERIC:
                log.exception("answering in thread %s failed", message.channel.id)
            parts = [text]
        try:
            if shown is not None:  # the streamed reply becomes the whole answer's first message
                await shown.edit(content=parts.pop(0), allowed_mentions=NO_MENTIONS)
            for i, part in enumerate(parts):
                await message.channel.send(part, allowed_mentions=NO_MENTIONS,
                                           reference=message if i == 0 and shown is None else None,
                                           mention_author=False)
        except (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError) as exc:  # gone, or shutting down
            log.warning("could not post the answer in thread %s: %r", message.channel.id, exc)
