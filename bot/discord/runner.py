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
from bot.discord.client import Briefbot, make_bot
from bot.discord.endpoints import configure_endpoints
from bot.errors import ConfigError
from bot.storage.db import is_postgres
from bot.workers.delivering import deliver_jobs
from bot.workers.polling import poll_jobs
from bot.workers.queue import analyse_until
from bot.workers.registry import WorkerRegistry
from bot.workers.roles import ALL

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0


def _token(app: App) -> str:
    if app.settings.discord_token is None or not app.settings.discord_token.get_secret_value().strip():
        raise ConfigError("DISCORD_TOKEN is not set")
    return app.settings.discord_token.get_secret_value().strip()


async def run_discord(app: App, *, roles: frozenset[str] = ALL, registry: WorkerRegistry | None = None,
                      on_ready: Callable[[Briefbot], object] | None = None) -> None:
    """Run this process's roles until SIGINT/SIGTERM: the gateway connection, polling, analysis
    and delivery (every role by default). Without the gateway, Discord is used over HTTP only."""
    token = _token(app)
    configure_endpoints(app.settings)
    stop, wakeup = asyncio.Event(), app.analysis.wakeup
    loop = asyncio.get_running_loop()
    owner = registry.worker_id if registry is not None else None  # claims name this worker
    app.analysis.owner = owner
    bot = make_bot(app, warm_up="gateway" in roles or "analyse" in roles, analyses="analyse" in roles,
                   answers="gateway" in roles)

    def shutdown() -> None:
        log.info("stopping")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown)

    deliver_wakeup, rebrief_wakeup = asyncio.Event(), asyncio.Event()

    def analysed(done: list) -> None:  # type: ignore[type-arg]
        failed = sum(1 for d in done if d.error)
        log.info("analysed %d article(s)%s", len(done), f", {failed} failed" if failed else "")
        if registry is not None:
            registry.count("analyse", len(done))
        deliver_wakeup.set()
        rebrief_wakeup.set()

    async def deliver() -> None:
        if "gateway" in roles:
            await bot.wait_until_ready()
        else:
            log.info("delivering over Discord's HTTP API (no gateway connection in this process)")
        deliverer = Deliverer(bot.sender, app.briefs, concurrency=app.settings.delivery_concurrency)

        async def deliver_until(until: asyncio.Event) -> None:
            await run_delivery(app.router, deliverer, until, deliver_wakeup, tick_s=app.settings.delivery_tick_s,
                               on_sent=(lambda n: registry.count("deliver", n)) if registry is not None else None)

        url = app.settings.resolved_database_url
        if is_postgres(url):  # the deliverers share the channels (bot/workers/delivering.py)
            await deliver_jobs(url, app.router, deliverer, stop, deliver_wakeup, tick_s=app.settings.delivery_tick_s,
                               concurrency=app.settings.delivery_concurrency,
                               on_sent=(lambda n: registry.count("deliver", n)) if registry is not None else None)
        else:
            await deliver_until(stop)

    async def analyse() -> None:
        await bot.models_ready()
        log.info("language models ready")
        # without a poller here, what other processes store is looked for every few seconds
        await analyse_until(app.analysis, app.settings.resolved_database_url, stop, wakeup, analysed,
                            idle_s=30.0 if "poll" in roles else 5.0)

    def on_report(report) -> None:  # type: ignore[no-untyped-def]
        if registry is not None:
            registry.count("poll")
        if report.new:
            wakeup.set()

    async with bot:
        try:
            await bot.login(token)
        except discord.LoginFailure as exc:
            raise ConfigError("Discord refused DISCORD_TOKEN (is it the bot token from the developer portal?)") \
                from exc
        gateway = asyncio.create_task(bot.connect(reconnect=True), name="gateway") if "gateway" in roles else None
        tasks = []
        if "poll" in roles and is_postgres(app.settings.resolved_database_url):  # polls are jobs
            tasks.append(asyncio.create_task(
                poll_jobs(app.settings.resolved_database_url, app.ingestor, stop,
                          concurrency=app.settings.fetch_concurrency, on_report=on_report), name="polling"))
        elif "poll" in roles:
            tasks.append(asyncio.create_task(app.scheduler(on_report=on_report, owner=owner).run_forever(stop),
                                             name="scheduler"))
        if "analyse" in roles:
            tasks.append(asyncio.create_task(analyse(), name="analysis"))
            if app.story_briefings is not None:
                tasks.append(asyncio.create_task(
                    run_rebriefs(app.story_briefings, stop, rebrief_wakeup, deliver_wakeup,
                                 tick_s=app.settings.delivery_tick_s), name="llm briefings"))
        if "deliver" in roles:
            tasks.append(asyncio.create_task(deliver(), name="delivery"))
        if registry is not None:
            tasks.append(asyncio.create_task(registry.run(stop), name="heartbeat"))
        stopper = asyncio.create_task(stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait([*tasks, *([gateway] if gateway else []), stopper],
                                         return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            stop.set()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            # the loops finish the step they are in (a post, a batch) while Discord is still there
            _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_S) if tasks else (set(), set())
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bot.close()
            for task in (gateway, stopper):
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in (gateway, stopper) if t is not None), return_exceptions=True)


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
