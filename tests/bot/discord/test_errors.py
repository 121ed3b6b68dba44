"""The core's errors as members read them at the Discord edge."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord.errors import user_message
from bot.errors import InvalidInputError
from cogs.subscriptions import PostChannel


def _transformer_error(cause: Exception | None) -> app_commands.TransformerError:
    error = app_commands.TransformerError("#gone", discord.AppCommandOptionType.channel, PostChannel())
    error.__cause__ = cause
    return error


def test_a_transformer_that_says_why_is_shown_as_such() -> None:
    said = InvalidInputError("Briefbot can't see that channel: check its permissions there")
    assert user_message(_transformer_error(said)) == str(said)
    assert user_message(_transformer_error(ValueError("internal detail"))) == "Briefbot couldn't use '#gone' there."
