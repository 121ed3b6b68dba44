"""Presenter replies -> discord.py message arguments. Nothing sent here pings anyone but the role a
subscription opted in to (``Reply.ping_roles``); edits never ping."""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.presenters.message import Reply

NO_MENTIONS = discord.AllowedMentions.none()


def embeds_of(reply: Reply) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e.to_dict()) for e in reply.embeds]


def files_of(reply: Reply) -> list[discord.File]:
    return [discord.File(io.BytesIO(f.data), filename=f.filename, description=f.description) for f in reply.files]


def allowed_mentions(reply: Reply) -> discord.AllowedMentions:
    """None may ping, but the roles the reply names (a subscription's role): never @everyone, users
    or other roles, whatever the text holds."""
    if not reply.ping_roles:
        return NO_MENTIONS
    return discord.AllowedMentions(everyone=False, users=False, replied_user=False,
                                   roles=[discord.Object(r) for r in reply.ping_roles])


def message_kwargs(reply: Reply, *, view: discord.ui.View | None = None) -> dict[str, Any]:
    """Arguments for ``send``/``send_message``/``followup.send`` (no mentions but ``ping_roles``)."""
    kwargs: dict[str, Any] = {"content": reply.content, "embeds": embeds_of(reply),
                              "allowed_mentions": allowed_mentions(reply)}
    files = files_of(reply)
    if files:
        kwargs["files"] = files
    if view is not None:
        kwargs["view"] = view
    return kwargs


def edit_kwargs(reply: Reply, *, view: discord.ui.View | None = None) -> dict[str, Any]:
    """Arguments for editing a message in place (attachments replaced)."""
    kwargs: dict[str, Any] = {"content": reply.content, "embeds": embeds_of(reply), "allowed_mentions": NO_MENTIONS,
                              "attachments": files_of(reply)}
    if view is not None:
        kwargs["view"] = view
    return kwargs


async def send_reply(interaction: discord.Interaction, reply: Reply, *, view: discord.ui.View | None = None) -> None:
    """Answer an interaction, whether or not it was deferred."""
    kwargs = message_kwargs(reply, view=view)
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs, ephemeral=reply.ephemeral, wait=False)
    else:
        await interaction.response.send_message(**kwargs, ephemeral=reply.ephemeral)
