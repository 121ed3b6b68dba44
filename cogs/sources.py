"""/source add, remove, list and import-opml: for members with Manage Server only."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.errors import require_manager
from bot.discord.render import send_reply
from bot.errors import InvalidInputError, LimitError
from bot.presenters.sources import (
    present_opml_import,
    present_source_added,
    present_source_enabled,
    present_source_removed,
    present_sources,
)
from bot.services.sources import MAX_OPML_BYTES

if TYPE_CHECKING:
    from bot.discord.client import Briefbot


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SourcesCog(commands.GroupCog, group_name="source", group_description="Manage this server's news sources"):
    def __init__(self, bot: Briefbot) -> None:
        self.bot = bot
        self.app = bot.app
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        require_manager(interaction)
        return True

    @app_commands.command(name="add", description="Add a feed or news site")
    @app_commands.describe(url="A feed (RSS, Atom, JSON Feed) or a news site's page")
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2048]) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        added = await self.app.sources.add(url, guild_id=interaction.guild_id or 0)
        await send_reply(interaction, present_source_added(added))

    @app_commands.command(name="remove", description="Remove a source (by id from /source list, or its URL)")
    @app_commands.describe(source="The source's id or URL")
    async def remove(self, interaction: discord.Interaction, source: app_commands.Range[str, 1, 2048]) -> None:
        removed = await self.app.sources.remove(source, guild_id=interaction.guild_id or 0)
        await send_reply(interaction, replace(present_source_removed(removed), ephemeral=True))

    @app_commands.command(name="enable", description="Re-enable a source disabled after repeated failures")
    @app_commands.describe(source="The source's id or URL")
    async def enable(self, interaction: discord.Interaction, source: app_commands.Range[str, 1, 2048]) -> None:
        enabled = await self.app.sources.enable(source, guild_id=interaction.guild_id or 0)
        await send_reply(interaction, present_source_enabled(enabled))

    @app_commands.command(name="list", description="This server's sources and their health")
    async def list_(self, interaction: discord.Interaction) -> None:
        rows = await self.app.sources.health(guild_id=interaction.guild_id or 0)
        reply = present_sources(rows)
        await send_reply(interaction, replace(reply, ephemeral=True))

    @app_commands.command(name="import-opml", description="Add every feed listed in an OPML file")
    @app_commands.describe(file="An OPML file exported from a feed reader")
    async def import_opml(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        if file.size > MAX_OPML_BYTES:
            raise LimitError(f"that file is {file.size // 1024} kB; OPML files up to {MAX_OPML_BYTES // 1024} kB work")
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            raise InvalidInputError(f"Briefbot couldn't download {file.filename}") from exc
        result = await self.app.sources.import_opml(data, guild_id=interaction.guild_id or 0)
        await send_reply(interaction, present_opml_import(result))

