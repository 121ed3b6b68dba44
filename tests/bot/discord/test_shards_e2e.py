"""End to end: the gateway sharded (SHARD_COUNT, SHARD_IDS) against the Discord stand-in, which
sends each server's events, slash commands included, only to the shard that owns the server
(``(server id >> 22) % SHARD_COUNT``). On SQLite one process connects both shards; on PostgreSQL
(make test-pg) two processes connect one each."""

from __future__ import annotations

from pathlib import Path

from tests.bot.discord.test_bot_e2e import final, no_violations, text_of
from tests.support.botproc import BotProcess, bot_env, run_once
from tests.support.discord import MANAGE_GUILD, DiscordStandIn

ON_SHARD_0 = 1000 << 22  # (id >> 22) % 2 == 0
ON_SHARD_1 = 1001 << 22


async def test_each_shard_serves_the_commands_of_its_own_servers(db_url: str, tmp_path: Path) -> None:
    with DiscordStandIn(interaction_deadline=3.0) as d:
        guilds = [d.add_guild("Shard zero desk", guild_id=ON_SHARD_0), d.add_guild("Shard one desk", guild_id=ON_SHARD_1)]
        admin = d.add_user("editor")
        channels = []
        for guild in guilds:
            channels.append(d.add_channel(guild, "news"))
            d.add_member(guild, admin, permissions=MANAGE_GUILD)
        env = bot_env({}, DISCORD_TOKEN=d.token, DISCORD_API_BASE=d.api_base, DISCORD_GATEWAY_URL=d.gateway_url,
                      DATABASE_URL=db_url, DATA_DIR=str(tmp_path / "data"), EXTRACT_WORKERS="1",
                      MODEL_THREADS="1", LOG_LEVEL="INFO", POLL_INTERVAL_S="3600", SHARD_COUNT="2")
        assert run_once(env, "sync").returncode == 0
        if db_url.startswith("postgres"):  # a process per shard
            procs = [BotProcess({**env, "SHARD_IDS": "0"}, "run", "--roles", "gateway,deliver").start(),
                     BotProcess({**env, "SHARD_IDS": "1"}, "run", "--roles", "gateway,poll,analyse").start()]
            expected = [["gateway shard 0 of 2 ready"], ["gateway shard 1 of 2 ready"]]
        else:  # SQLite: one process connects both
            procs = [BotProcess(env).start()]
            expected = [["gateway shard 0 of 2 ready", "gateway shard 1 of 2 ready"]]
        try:
            for proc, lines in zip(procs, expected, strict=True):
                for line in lines:
                    proc.wait_log(line, timeout=90)
            shards = sorted(tuple(p["shard"]) for p in d.identify_payloads)
            assert shards == [(0, 2), (1, 2)], "one gateway session per shard"
            for guild, channel in zip(guilds, channels, strict=True):
                reply = final(d.invoke(guild, channel, admin, "subscriptions"))
                assert "subscri" in text_of(reply).lower()
            no_violations(d)
        finally:
            codes = [p.stop() for p in procs]
        logs = "\n".join(p.log for p in procs)
        assert codes == [0] * len(procs), logs[-3000:]
        assert "Traceback" not in logs, logs[-5000:]
