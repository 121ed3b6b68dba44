"""`briefbot run` with a token, and `briefbot sync`: the bot's lifetime inside the composition root."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

import discord

from bot.app import App
from bot.delivery.deliverer import Deliverer
from bot.delivery.loop import run_delivery, run_rebriefs
from bot.discord.client import Briefbot
from bot.discord.endpoints import configure_endpoints
from bot.errors import ConfigError

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0


def _token(app: App) -> str:
    if app.settings.discord_token is None or not app.settings.discord_token.get_secret_value().strip():
        raise ConfigError("DISCORD_TOKEN is not set")
    return app.settings.discord_token.get_secret_value().strip()


async def run_discord(app: App, *, on_ready: Callable[[Briefbot], object] | None = None) -> None:
    """Connect to Discord and run the polling and analysis loops until SIGINT/SIGTERM."""
    token = _token(app)
    configure_endpoints(app.settings)
    stop, wakeup = asyncio.Event(), app.analysis.wakeup
    loop = asyncio.get_running_loop()
    bot = Briefbot(app)

    def shutdown() -> None:
        log.info("stopping")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown)

    deliver_wakeup, rebrief_wakeup = asyncio.Event(), asyncio.Event()

    def analysed(done: list) -> None:  # type: ignore[type-arg]
        failed = sum(1 for d in done if d.error)
        log.info("analysed %d article(s)%s", len(done), f", {failed} failed" if failed else "")
        deliver_wakeup.set()
        rebrief_wakeup.set()

    async def deliver() -> None:
        await bot.wait_until_ready()
        deliverer = Deliverer(bot.sender, app.briefs, concurrency=app.settings.delivery_concurrency)
        await run_delivery(app.router, deliverer, stop, deliver_wakeup, tick_s=app.settings.delivery_tick_s)

    async def analyse() -> None:
        await bot.models_ready()
        log.info("language models ready")
        await app.analysis.run_forever(stop, wakeup, analysed)

    def on_report(report) -> None:  # type: ignore[no-untyped-def]
        if report.new:
            wakeup.set()

    async with bot:
        try:
            await bot.login(token)
        except discord.LoginFailure as exc:
            raise ConfigError("Discord refused DISCORD_TOKEN (is it the bot token from the developer portal?)") \
                from exc
        tasks = [
            asyncio.create_task(bot.connect(reconnect=True), name="gateway"),
            asyncio.create_task(app.scheduler(on_report=on_report).run_forever(stop), name="scheduler"),
            asyncio.create_task(analyse(), name="analysis"),
            asyncio.create_task(deliver(), name="delivery"),
        ]
        if app.story_briefings is not None:
            tasks.append(asyncio.create_task(
                run_rebriefs(app.story_briefings, stop, rebrief_wakeup, deliver_wakeup,
                             tick_s=app.settings.delivery_tick_s), name="llm briefings"))
        stopper = asyncio.create_task(stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            stop.set()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            # the loops finish the step they are in (a post, a batch) while Discord is still there
            gateway, workers = tasks[0], tasks[1:]
            _, late = await asyncio.wait(workers, timeout=SHUTDOWN_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await bot.close()
            for task in (gateway, stopper):
                task.cancel()
            await asyncio.gather(gateway, stopper, return_exceptions=True)


async def sync_commands(app: App, guild_id: int | None) -> list[str]:
    """Register the slash commands: with one guild (instant, for testing) or globally."""
    token = _token(app)
    configure_endpoints(app.settings)
    bot = Briefbot(app, warm_up=False)
    async with bot:
        try:
            await bot.login(token)
        except discord.LoginFailure as exc:
            raise ConfigError("Discord refused DISCORD_TOKEN") from exc
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
        else:
            synced = await bot.tree.sync()
    return [c.name for c in synced]
