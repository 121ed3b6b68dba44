"""`briefbot console`: the slash commands in a terminal, over the same services and presenters,
rendered as text. For trying Briefbot without a Discord application, and for scripting."""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TextIO

from bot.app import App
from bot.errors import BriefbotError, InvalidInputError
from bot.presenters.actors import mentions_chart, present_actor
from bot.presenters.answers import present_answer
from bot.delivery.preview import digest_preview, next_post, post_reply, preview_reply
from bot.presenters.briefs import present_brief
from bot.presenters.delivery import present_digest
from bot.presenters.subscriptions import channel_ref, present_subscribed, present_subscriptions, present_unsubscribed
from bot.presenters.message import Reply
from bot.presenters.sources import (
    poll_counts,
    present_opml_import,
    present_source_added,
    present_source_removed,
    present_sources,
)
from bot.presenters.statements import present_statements
from bot.presenters.text import render_text
from bot.presenters.why import present_why
from bot.services.files import read_capped
from bot.services.sources import MAX_OPML_BYTES

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 64 * 1024  # one console line; longer ones are cut here (no command needs more)
MAX_PAGE = 100_000
MAX_DISCORD_ID = 2**63 - 1

HELP = """Commands (the same as the Discord slash commands):
  brief [TOPIC] [--since 24h]          the latest stories, overall or on a topic
  actor NAME                           an actor: aliases, mentions per day, latest statements
  statements NAME [--topic T] [--since 3d] [--page N]
                                       an actor's statements, word for word, newest first
  ask QUESTION                         an answer from recent articles, with sources
  why URL                              what happened to an article
  source list | add URL | remove ID | import-opml FILE
                                       manage sources
  subscribe TOPIC [--mode realtime|hourly|daily] [--keywords "a, +b, -c"] [--min-sources N]
            [--time 08:00] [--timezone Europe/Berlin] [--cap N] [--channel ID]
            [--style card|compact|plain] [--mention ROLE_ID|none]
                                       follow a topic (on Discord: in a channel)
  unsubscribe ID|TOPIC, subscriptions  stop one, list them with what they delivered
  digest ID|TOPIC                      preview a subscription's next digest
  test ID|TOPIC                        the test post of a subscription, as posted, with its allowed_mentions
  poll                                 poll every source now
  help, quit"""


def number(name: str, value: str, high: int, *, low: int = 0) -> int:
    """An option's whole number, ``low`` to ``high`` (ASCII digits only: no overflow, no ``²``)."""
    digits = value.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(high)) or not low <= int(digits) <= high:
        raise InvalidInputError(f"--{name} takes a number from {low} to {high}")
    return int(digits)


@dataclass(frozen=True, slots=True)
class Parsed:
    words: list[str]
    options: dict[str, str]


def parse(line: str, options: tuple[str, ...] = ()) -> Parsed:
    """Words and ``--name value`` options of one console line (shell quoting rules)."""
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise InvalidInputError(f"can't read that line: {exc}") from None
    words: list[str] = []
    found: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("--") and len(tok) > 2:
            name, _, value = tok[2:].partition("=")
            if name not in options:
                raise InvalidInputError(f"unknown option --{name}" + (
                    f"; this command takes {', '.join('--' + o for o in options)}" if options else ""))
            if not value:
                i += 1
                if i >= len(tokens):
                    raise InvalidInputError(f"--{name} needs a value")
                value = tokens[i]
            found[name] = value
        else:
            words.append(tok)
        i += 1
    return Parsed(words, found)


class ConsoleSession:
    """Runs console lines against the services. ``guild_id`` 0 is the command line's own sources."""

    def __init__(self, app: App, *, out: TextIO, guild_id: int = 0, width: int = 100,
                 chart_dir: Path | None = None) -> None:
        self.app = app
        self.out = out
        self.guild_id = guild_id
        self.width = width
        self.chart_dir = chart_dir
        self._warm: asyncio.Task[None] | None = None
        self.commands: dict[str, Callable[[str], Awaitable[Reply | str | None]]] = {
            "brief": self.brief, "actor": self.actor, "statements": self.statements, "ask": self.ask,
            "why": self.why, "source": self.source, "poll": self.poll, "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe, "subscriptions": self.subscriptions, "digest": self.digest,
            "test": self.test,
        }

    def show(self, result: Reply | str | None) -> None:
        if result is None:
            return
        text = result if isinstance(result, str) else render_text(result, width=self.width)
        self.out.write(text.rstrip("\n") + "\n")
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Run one line; False when the session should end."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        name, _, rest = line.partition(" ")
        name = name.lower().lstrip("/")
        if name in {"quit", "exit"}:
            return False
        if name in {"help", "?"}:
            self.show(HELP)
            return True
        handler = self.commands.get(name)
        if handler is None:
            self.show(f"error: unknown command {name!r}; type help for the list")
            return True
        try:
            self.show(await handler(rest))
        except BriefbotError as exc:
            self.show(f"error: {exc}")
        except Exception as exc:  # a bug in one command: report it, the session goes on
            log.debug("console command %r failed", name, exc_info=True)
            self.show(f"error: {name} failed ({type(exc).__name__}); run `briefbot -v console` for details")
        return True

    async def models(self) -> None:
        if self._warm is None:
            self._warm = asyncio.create_task(asyncio.to_thread(self.app.warm_up))
        await asyncio.shield(self._warm)

    async def analyse_pending(self) -> None:
        """Analyse what is waiting, so answers include the newest articles."""
        pending = await self.app.analysis.pending()
        if not pending:
            return
        self.show(f"(analysing {pending} new article{'s' if pending != 1 else ''} first ...)")
        await self.models()
        await self.app.analysis.process_pending()

    # ------------------------------------------------------------------ commands

    async def brief(self, rest: str) -> Reply:
        p = parse(rest, ("since",))
        await self.analyse_pending()
        topic = " ".join(p.words) or None
        if topic:
            await self.models()
        return present_brief(await self.app.briefs.latest(self.guild_id, topic=topic, since=p.options.get("since")))

    async def actor(self, rest: str) -> Reply:
        p = parse(rest)
        if not p.words:
            raise InvalidInputError("usage: actor NAME")
        await self.analyse_pending()
        profile = await self.app.actors.profile(self.guild_id, " ".join(p.words))
        chart = await asyncio.to_thread(mentions_chart, profile.per_day, f"{profile.actor.name}: articles per day")
        reply = present_actor(profile, chart)
        if self.chart_dir is not None:
            for f in reply.files:
                path = self.chart_dir / f.filename
                try:
                    path.write_bytes(f.data)
                except OSError as exc:
                    raise InvalidInputError(f"cannot save the chart to {path}: {exc.strerror or exc}") from None
                self.show(f"(chart saved to {path})")
        return reply

    async def statements(self, rest: str) -> Reply:
        p = parse(rest, ("topic", "since", "page"))
        if not p.words:
            raise InvalidInputError("usage: statements NAME [--topic T] [--since 3d] [--page N]")
        page = number("page", p.options.get("page", "1"), MAX_PAGE, low=1)
        await self.analyse_pending()
        if p.options.get("topic"):
            await self.models()
        result = await self.app.actors.statements(self.guild_id, " ".join(p.words), topic=p.options.get("topic"),
                                                  since=p.options.get("since"), page=page - 1)
        return present_statements(result, custom_id_prefix="page")

    async def ask(self, rest: str) -> Reply:
        if not rest.strip():
            raise InvalidInputError("usage: ask QUESTION")
        await self.analyse_pending()
        await self.models()
        return present_answer(await self.app.asking.ask(self.guild_id, rest))

    async def why(self, rest: str) -> Reply:
        p = parse(rest)
        if len(p.words) != 1:
            raise InvalidInputError("usage: why URL")
        await self.models()
        return present_why(await self.app.why.trace(self.guild_id, p.words[0]))

    async def subscribe(self, rest: str) -> Reply:
        p = parse(rest, ("mode", "keywords", "min-sources", "time", "timezone", "cap", "channel", "style", "mention"))
        if not p.words:
            raise InvalidInputError("usage: subscribe TOPIC [--mode daily] [--keywords ...] (help shows all)")
        numbers = {name: number(name, p.options.get(name, default), high)
                   for name, default, high in (("min-sources", "1", 20), ("cap", "10", 60),
                                               ("channel", "0", MAX_DISCORD_ID))}
        mention = p.options.get("mention", "").strip().lower()
        role = number("mention", mention, MAX_DISCORD_ID, low=1) if mention and mention != "none" else None
        sub = await self.app.subscriptions.subscribe(
            self.guild_id, numbers["channel"], " ".join(p.words), mode=p.options.get("mode", "realtime"),
            keywords=p.options.get("keywords"), min_sources=numbers["min-sources"], time_of_day=p.options.get("time"),
            timezone=p.options.get("timezone"), cap_per_hour=numbers["cap"], style=p.options.get("style"),
            mention_role_id=role, no_mention=mention == "none")
        await self.analyse_pending()
        await self.models()
        post = await next_post(self.app.briefs, self.guild_id, sub)
        return present_subscribed(sub, preview_reply(post), sample=post.sample)

    async def unsubscribe(self, rest: str) -> Reply:
        if not rest.strip():
            raise InvalidInputError("usage: unsubscribe ID|TOPIC")
        return present_unsubscribed(await self.app.subscriptions.unsubscribe(self.guild_id, rest))

    async def subscriptions(self, rest: str) -> Reply:
        return present_subscriptions(await self.app.subscriptions.list(self.guild_id))

    async def digest(self, rest: str) -> Reply | str:
        if not rest.strip():
            raise InvalidInputError("usage: digest ID|TOPIC")
        await self.analyse_pending()
        await self.models()
        sub, stories, waiting = await digest_preview(self.app.subscriptions, self.app.briefs, self.guild_id, rest)
        if not stories:
            return f"Nothing for {sub.topic!r} yet: no stories wait for its digest, and none match it so far."
        head = "(waiting for the next digest)" if waiting else "(nothing queued yet; the latest stories that match)"
        return head + "\n" + render_text(present_digest(sub.topic, stories, ref="preview", hourly=sub.mode != "daily"))

    async def test(self, rest: str) -> str:
        """The message a test send posts, exactly: its text and its ``allowed_mentions``."""
        if not rest.strip():
            raise InvalidInputError("usage: test ID|TOPIC")
        await self.analyse_pending()
        await self.models()
        sub = await self.app.subscriptions.find(self.guild_id, rest)
        post = await next_post(self.app.briefs, self.guild_id, sub)
        reply = post_reply(post, test=True, ref=f"test {sub.id}")
        note = " (a sample: nothing matches the topic yet)" if post.sample else ""
        return (f"Test post for subscription {sub.id} to {channel_ref(sub.channel_id)}{note}:\n"
                f"{render_text(reply, width=self.width).rstrip()}\nallowed_mentions: {json.dumps(reply.allowed_mentions())}")

    async def poll(self, rest: str) -> str:
        reports = await self.app.scheduler().run_once(all_sources=True)
        if not reports:
            return "No sources to poll. Add one with: source add URL"
        lines = []
        for r in reports:
            if not r.ok:
                lines.append(f"✗ {r.url}: {r.error}")
            else:
                lines.append(f"✓ {r.url}: {poll_counts(r)}")
        return "\n".join(lines)

    async def source(self, rest: str) -> Reply:
        p = parse(rest)
        action, args = (p.words[0].lower(), p.words[1:]) if p.words else ("", [])
        if action == "list" and not args:
            return present_sources(await self.app.sources.health(guild_id=self.guild_id))
        if action == "add" and len(args) == 1:
            self.show(f"(fetching {args[0]} ...)")
            return present_source_added(await self.app.sources.add(args[0], guild_id=self.guild_id))
        if action == "remove" and len(args) == 1:
            return present_source_removed(await self.app.sources.remove(args[0], guild_id=self.guild_id))
        if action == "import-opml" and len(args) == 1:
            data = read_capped(Path(args[0]).expanduser(), MAX_OPML_BYTES)

            def progress(done: int, total: int) -> None:
                if done == total or done % 10 == 0:
                    self.show(f"({done}/{total} feeds checked)")

            return present_opml_import(await self.app.sources.import_opml(data, guild_id=self.guild_id,
                                                                          on_progress=progress))
        raise InvalidInputError("usage: source list | source add URL | source remove ID | source import-opml FILE")


async def run_console(app: App, *, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout, guild_id: int = 0,
                      chart_dir: Path | None = None) -> None:
    """Read commands until ``quit`` or the end of input. Interactive terminals get a prompt."""
    session = ConsoleSession(app, out=out, guild_id=guild_id, chart_dir=chart_dir)
    interactive = stdin.isatty()
    if interactive:
        session.show("Briefbot console. Type help for the commands, quit to leave.")
    while True:
        if interactive:
            out.write("briefbot> ")
            out.flush()
        line = await asyncio.to_thread(read_line, stdin)
        if line is None:
            break
        if not interactive:
            session.show(f"> {line.strip()}")
        if not await session.handle(line):
            break


def read_line(stdin: TextIO) -> str | None:
    """The next line, at most MAX_LINE_BYTES of it (the rest is dropped), or None at the end.
    Bytes that are not UTF-8 become U+FFFD instead of ending the session."""
    raw: IO[bytes] | None = getattr(stdin, "buffer", None)
    source: IO[bytes] | IO[str] = raw if raw is not None else stdin
    first = rest = source.readline(MAX_LINE_BYTES)
    while rest and rest[-1:] not in ("\n", b"\n"):  # drop the rest of an overlong line
        rest = source.readline(MAX_LINE_BYTES)
    if not first:
        return None
    return first.decode("utf-8", "replace") if isinstance(first, bytes) else first
