"""The single place where errors become what the user reads: one short ephemeral line."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.errors import BriefbotError
from bot.discord.render import NO_MENTIONS
from bot.presenters.errors import present_error

log = logging.getLogger(__name__)

GENERIC = "Something went wrong on Briefbot's side; the details are in its log."


def user_message(error: Exception) -> str:
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, BriefbotError):
        return str(original)
    if isinstance(original, app_commands.MissingPermissions):
        return "Only members with the Manage Server permission can do that."
    if isinstance(original, app_commands.NoPrivateMessage):
        return "Briefbot's commands work in a server, not in direct messages."
    if isinstance(original, app_commands.TransformerError):
        if isinstance(original.__cause__, BriefbotError):  # a transformer of ours said why
            return str(original.__cause__)
        return f"Briefbot couldn't use {original.value!r} there."
    if isinstance(original, app_commands.CheckFailure):
        return "You can't use that command here."
    return GENERIC


async def on_tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    name = interaction.command.qualified_name if interaction.command else "?"
    if isinstance(original, BriefbotError | app_commands.CheckFailure | app_commands.TransformerError):
        log.info("/%s in guild %s: %s", name, interaction.guild_id, original)
    else:
        log.error("/%s in guild %s failed", name, interaction.guild_id, exc_info=original)
    await report(interaction, user_message(error))


async def report(interaction: discord.Interaction, message: str) -> None:
    """Send the one error line, ephemerally, however far the interaction got."""
    reply = present_error(message)
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(reply.content, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # a public "thinking..." placeholder: remove it so the error stays private
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                pass
        await interaction.followup.send(reply.content, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not tell the user about an error in interaction %s", interaction.id, exc_info=True)


def require_manager(interaction: discord.Interaction) -> None:
    """The run-time half of the admin check (``default_permissions`` is the other half)."""
    perms = interaction.permissions
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not (perms.manage_guild or perms.administrator):
        raise app_commands.MissingPermissions(["manage_guild"])
