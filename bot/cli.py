"""The `briefbot` command line. An edge: it calls services and renders their results."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import signal
import stat
import sys
from collections.abc import Awaitable, Callable, Coroutine
from importlib import resources
from pathlib import Path
from typing import IO, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from bot.app import App, llm_answers, llm_writes_answers, open_app
from bot.batch import BatchReport, InputAborted, analysis_record, answer_record, document_of, read_records, run_batches
from bot.errors import BriefbotError, ConfigError
from bot.ingest.pipeline import PollReport
from bot.services.analysis import AnalysedArticle
from bot.presenters.common import every
from bot.presenters.sources import poll_counts
from bot.services.files import check_regular_file, read_capped
from bot.services.sources import MAX_INTERVAL_S, MAX_OPML_BYTES
from bot.settings import Settings
from bot.storage import queries
from bot.storage.db import open_database, upgrade
from bot.workers.queue import analyse_until
from bot.workers.registry import WorkerRegistry
from bot.workers.roles import ALL, describe, parse_roles
from bot.workers.runlock import one_run_per_sqlite
from bot.workers.status import StatusService

log = logging.getLogger(__name__)
OTHERS_IDLE_S = 5.0  # an analyser without a poller in its process looks for new articles this often
# Markup is off: titles, URLs and errors come from feeds and users, and a `[/]` in them must print
# as itself. Styling is applied with Text pieces (see `line`), never by parsing a string.
out = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)
T = TypeVar("T")

app = typer.Typer(
    help="Briefbot: news sources in, short sourced briefings out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
source_app = typer.Typer(help="Manage news sources.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(source_app, name="source")
app.add_typer(db_app, name="db")


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def command(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run an async command, turning Briefbot errors into one line and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return asyncio.run(fn(*args, **kwargs))
        except Exit as exc:
            raise typer.Exit(exc.code) from None
        except BriefbotError as exc:
            err.print(line(("error:", "red"), f" {exc}"))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        raise BriefbotError(f"invalid setting {field}: {first['msg']}") from None


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details to stderr.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        logging.getLogger("tortoise").setLevel(logging.WARNING)
        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        logging.getLogger("bm25s").setLevel(logging.WARNING)


# -- rendering ---------------------------------------------------------------------------------


def line(*parts: str | tuple[str, str]) -> Text:
    """A line of plain pieces and (piece, style) pairs. The one way the CLI styles what it prints:
    no piece is read as markup, so outside text prints as it is."""
    return Text.assemble(*parts)


def failure(name: str, reason: object) -> Text:
    return line(("✗", "red"), f" {name}: {reason}")


def print_report(report: PollReport, *, label: str | None = None) -> None:
    name = label or report.url
    if not report.ok:
        extra = " (source disabled)" if report.disabled else ""
        err.print(failure(name, f"{report.error}{extra}"))
        return
    if report.not_modified:
        out.print(f"· {name}: unchanged")
        return
    out.print(line(("✓", "green"), f" {name}: {poll_counts(report)}"))
    for art in report.new:
        held = ("", "") if art.deliverable else (" (backlog, not delivered)", "dim")
        out.print(line("    ", (art.title or "(untitled)", "bold"), held, f"\n    {art.url}"))


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )


async def gather_with_progress(label: str, jobs: list[Awaitable[T]]) -> list[T | BaseException]:
    with progress() as bar:
        task = bar.add_task(label, total=len(jobs))

        async def tracked(job: Awaitable[T]) -> T | BaseException:
            try:
                return await job
            except BriefbotError as exc:
                return exc
            finally:
                bar.advance(task)

        return list(await asyncio.gather(*(tracked(j) for j in jobs)))


# -- commands ----------------------------------------------------------------------------------


@app.command()
@command
async def run(
    roles: Annotated[str | None, typer.Option(
        "--roles", help="This process's roles, comma-separated: gateway, poll, analyse, deliver (default: all). "
                        "A subset needs PostgreSQL; see README, Running on several machines.")] = None,
) -> None:
    """Run Briefbot: the Discord bot when DISCORD_TOKEN is set, otherwise locally in the terminal."""
    settings = load_settings()
    chosen = parse_roles(roles)
    if settings.discord_token is None and chosen & {"gateway", "deliver"}:
        if chosen != ALL:
            raise ConfigError("the gateway and deliver roles need DISCORD_TOKEN")
    with one_run_per_sqlite(settings.resolved_database_url, chosen):
        if settings.discord_token is not None:
            from bot.discord.runner import run_discord

            _log_at(settings.log_level)
            async with open_app(settings, analysis_process=settings.analysis_process) as ctx:
                registry = WorkerRegistry(chosen, heartbeat_s=settings.worker_heartbeat_s)
                await registry.start()
                try:
                    await run_discord(ctx, roles=chosen, registry=registry)
                finally:
                    await registry.stop()
            return
        if "poll" in chosen:
            out.print("DISCORD_TOKEN is not set: running locally, polling sources and printing what arrives "
                      "(Ctrl-C stops).")
        async with open_app(settings, analysis_process=settings.analysis_process) as ctx:
            registry = WorkerRegistry(chosen - {"gateway", "deliver"}, heartbeat_s=settings.worker_heartbeat_s)
            await registry.start()
            try:
                await run_local(ctx, registry=registry, roles=chosen)
            finally:
                await registry.stop()


def _log_at(level: str) -> None:
    root = logging.getLogger()
    if root.level > logging.DEBUG:  # long-running: log at LOG_LEVEL unless -v asked for more
        root.setLevel(level.upper())
        for noisy in ("discord.gateway", "discord.http"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


@app.command()
@command
async def console(
    charts: Annotated[Path | None, typer.Option("--charts", help="Save /actor charts (PNG) in this folder.")] = None,
) -> None:
    """The slash commands in the terminal (brief, actor, statements, ask, why, source): no Discord needed."""
    from bot.console import run_console

    if charts is not None:
        try:
            charts.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BriefbotError(f"cannot use {charts} for charts: {exc.strerror or exc}") from None
    async with open_app(load_settings()) as ctx:
        await run_console(ctx, chart_dir=charts)


@app.command()
@command
async def sync(
    guild: Annotated[int | None, typer.Option("--guild", help="Register in this server only (instant; for testing).")] = None,
) -> None:
    """Register the slash commands with Discord: globally, or in one server with --guild."""
    from bot.discord.runner import sync_commands

    async with open_app(load_settings(), migrate=False) as ctx:
        names = await sync_commands(ctx, guild)
    where = f"in server {guild}" if guild else "globally (Discord may take up to an hour to show them everywhere)"
    out.print(f"Registered {len(names)} commands {where}: " + ", ".join("/" + n for n in sorted(names)))


async def run_local(ctx: App, *, demo: bool = True, registry: WorkerRegistry | None = None,
                    roles: frozenset[str] = ALL) -> None:
    """Poll and analyse (the roles asked for, both by default), printing what arrives."""
    _log_at(ctx.settings.log_level)
    stop, wakeup = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # the models load while polling starts (nothing asks questions here: only the analyser's)
    warm = asyncio.create_task(asyncio.to_thread(ctx.warm_up, answerer=False)) if "analyse" in roles else None
    owner = registry.worker_id if registry is not None else None  # claims name this worker
    ctx.analysis.owner = owner
    beats = asyncio.create_task(registry.run(stop)) if registry is not None else None

    def on_report(report: PollReport) -> None:
        print_report(report)
        if registry is not None:
            registry.count("poll")
        if report.new:
            wakeup.set()

    def analysed(done: list[AnalysedArticle]) -> None:
        if registry is not None:
            registry.count("analyse", len(done))
        print_briefings(done)

    async def analyse() -> None:
        assert warm is not None
        try:
            await warm
        except Exception as exc:
            log.exception("loading the language models failed")
            err.print(line(("error:", "red"), f" the language models did not load ({exc}); articles are "
                           "stored but not analysed"))
            return
        # without a poller here, what other processes store is looked for every few seconds
        await analyse_until(ctx.analysis, ctx.settings.resolved_database_url, stop, wakeup, analysed,
                            idle_s=30.0 if "poll" in roles else OTHERS_IDLE_S)

    analysis = asyncio.create_task(analyse() if "analyse" in roles else stop.wait())
    try:
        if "poll" not in roles:
            out.print(f"Roles {describe(roles)}: analysing what the pollers store (Ctrl-C stops).")
            await stop.wait()
        elif not await queries.has_scheduled_sources():
            if demo:
                with resources.as_file(resources.files("bot") / "demo" / "demo-feed.xml") as path:
                    report = await ctx.ingest.ingest_file(path, fetch_pages=False)
                if report.new:
                    print_report(report, label="demo feed (shipped with Briefbot)")
                    wakeup.set()
                else:
                    out.print("The demo feed is stored already: `briefbot articles` lists it.")
            out.print("No sources yet. Add one with: briefbot source add URL  (new sources are picked up while this runs)")
        if "poll" in roles:
            await ctx.scheduler(on_report=on_report, owner=owner).run_forever(stop)
    finally:
        stop.set()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        analysis.cancel()
        await asyncio.gather(analysis, *([beats] if beats else []), return_exceptions=True)
    out.print("stopped")


def print_briefings(done: list[AnalysedArticle]) -> None:
    for item in done:
        if item.error:
            err.print(failure(f"analysis of {item.url}", "failed: " + item.error))
            continue
        if not item.deliverable:
            continue
        story = f"story {item.story_id}" + (" (joined an earlier report)" if item.story_joined else "")
        actors = ", ".join(item.actors[:6]) or "none found"
        out.print(line("\n", (f"■ {item.title or '(untitled)'}", "bold"), f"\n  {item.summary}\n",
                       (f"  actors: {actors} · {item.statements} statement(s) · {story}", "dim"), "\n",
                       (f"  {item.url}", "dim")))


@app.command()
@command
async def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll every enabled source once, then exit.")] = False,
) -> None:
    """Poll the sources: on their schedule, or all of them once."""
    settings = load_settings()
    async with open_app(settings) as ctx:
        if not once:
            await run_local(ctx, demo=False)
            return
        scheduler = ctx.scheduler()
        sources = await scheduler.due_sources(all_sources=True)
        if not sources:
            out.print("No enabled sources. Add one with: briefbot source add URL")
            return
        reports = await gather_with_progress("polling", scheduler.start_due(sources))
        failed = 0
        for source, report in zip(sources, reports, strict=True):
            if isinstance(report, PollReport):
                print_report(report)
                failed += not report.ok
            else:
                err.print(failure(source.url, report))
                failed += 1
        if failed:
            raise Exit(1)


@app.command()
@command
async def ingest(
    targets: Annotated[list[str], typer.Argument(help="Feed or article URLs, or saved files.", metavar="URL|FILE...")],
    pages: Annotated[bool, typer.Option("--pages/--no-pages", help="Fetch each feed item's page.")] = True,
) -> None:
    """Ingest feeds or article pages once, by URL or saved file. A bad input does not stop the rest."""
    settings = load_settings()
    async with open_app(settings) as ctx:
        results = await gather_with_progress("ingesting", [_ingest_one(ctx, t, pages) for t in targets])
    failed = 0
    for target, result in zip(targets, results, strict=True):
        if isinstance(result, PollReport):
            print_report(result, label=target)
        else:
            err.print(failure(target, result))
            failed += 1
    if failed:
        raise Exit(1)


async def _ingest_one(ctx: App, target: str, pages: bool) -> PollReport:
    if "://" not in target or target.startswith("file://"):  # a file: refuse a device or a huge one unread
        check_regular_file(Path(target.removeprefix("file://")), ctx.settings.fetch_max_bytes)
    return await ctx.ingest.ingest(target, fetch_pages=pages)


@app.command()
@command
async def articles(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10000, help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array, text included.")] = False,
) -> None:
    """List stored articles, newest first."""
    settings = load_settings()
    async with open_app(settings) as ctx:
        rows = await queries.latest_articles(limit)
    del ctx
    if as_json:
        out.print_json(json.dumps([r.as_json() for r in rows]))
        return
    if not rows:
        out.print("No articles yet. Try: briefbot source add URL, or briefbot ingest URL")
        return
    table = Table("id", "published", "source", "title", "via")
    for r in rows:
        when = (r.published_at or r.fetched_at).strftime("%Y-%m-%d %H:%M")
        table.add_row(str(r.id), when, r.source, r.title or "(untitled)", r.extraction)
    out.print(table)


@app.command()
@command
async def status(as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False) -> None:
    """The `briefbot run` processes (live, gone or stopped, with their roles and jobs done) and the
    work waiting, per kind."""
    settings = load_settings()
    async with open_database(settings.resolved_database_url):
        view = await StatusService(heartbeat_s=settings.worker_heartbeat_s).status()
    if as_json:
        out.print_json(json.dumps({
            "at": view.at.isoformat(),
            "workers": [{"id": w.id, "host": w.host, "pid": w.pid, "roles": w.roles.split(","), "state": w.state,
                         "started_at": w.started_at.isoformat(), "heartbeat_at": w.heartbeat_at.isoformat(),
                         "done": w.done} for w in view.workers],
            "queues": view.queues,
        }))
        return
    if view.workers:
        table = Table("id", "state", "host", "pid", "roles", "started", "last heartbeat", "jobs done")
        for w in view.workers:
            done = ", ".join(f"{role} {n}" for role, n in sorted(w.done.items())) or "none yet"
            table.add_row(str(w.id), w.state, w.host, str(w.pid), w.roles, w.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                          w.heartbeat_at.strftime("%Y-%m-%d %H:%M:%S"), done)
        out.print(table)
    else:
        out.print("No `briefbot run` process in the last 24 hours.")
    queues = Table("waiting", "count")
    for kind, n in view.queues.items():
        queues.add_row(kind, str(n))
    out.print(queues)


# -- sources -----------------------------------------------------------------------------------


@source_app.command("add")
@command
async def source_add(
    url: Annotated[str, typer.Argument(help="A feed (RSS, Atom, JSON Feed) or a web page.")],
    interval: Annotated[int | None, typer.Option(help="Minutes between polls.", min=1, max=MAX_INTERVAL_S // 60)] = None,
) -> None:
    """Add a source; a page's feed is discovered, and its current items are stored without delivery."""
    async with open_app(load_settings()) as ctx:
        with err.status(Text(f"Fetching {url} ...")):
            added = await ctx.sources.add(url, interval_s=interval * 60 if interval else None)
    s = added.source
    out.print(f"Added source {s.id}: {s.title or s.url} ({s.kind}, {every(s.interval_s)})")
    if s.site_url and s.url != url:
        out.print(f"  feed: {s.url}")
    print_report(added.first_poll, label="first poll")


@source_app.command("list")
@command
async def source_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List sources with their health."""
    async with open_app(load_settings()) as ctx:
        rows = await ctx.sources.health()
    if as_json:
        out.print_json(json.dumps([queries.jsonable(r) for r in rows]))
        return
    if not rows:
        out.print("No sources. Add one with: briefbot source add URL")
        return
    table = Table("id", "status", "source", "articles", "last success", "failures", "last error")
    for r in rows:
        table.add_row(
            str(r.id), r.status, line(r.title or r.url, "\n", (r.url, "dim")), str(r.articles),
            r.last_success_at.strftime("%Y-%m-%d %H:%M") if r.last_success_at else "never",
            str(r.failure_count), r.disabled_reason or r.last_error or "",
        )
    out.print(table)


@source_app.command("remove")
@command
async def source_remove(ref: Annotated[str, typer.Argument(help="Source id or URL.")]) -> None:
    """Remove a source (its articles go with it)."""
    async with open_app(load_settings()) as ctx:
        source = await ctx.sources.remove(ref)
    out.print(f"Removed source {source.id}: {source.title or source.url}")


@source_app.command("enable")
@command
async def source_enable(ref: Annotated[str, typer.Argument(help="Source id or URL.")]) -> None:
    """Re-enable a source that was disabled after repeated failures."""
    async with open_app(load_settings()) as ctx:
        source = await ctx.sources.enable(ref)
    out.print(f"Enabled source {source.id}: {source.title or source.url}")


@source_app.command("import-opml")
@command
async def source_import_opml(file: Annotated[Path, typer.Argument(help="An OPML file.")]) -> None:
    """Add every feed listed in an OPML file (a few at a time, up to MAX_SOURCES_PER_GUILD)."""
    data = read_capped(file, MAX_OPML_BYTES)
    async with open_app(load_settings()) as ctx:
        with progress() as bar:
            task = bar.add_task("adding sources", total=None)
            result = await ctx.sources.import_opml(
                data, on_progress=lambda done, total: bar.update(task, completed=done, total=total))
    for sid, name in result.added:
        out.print(line(("✓", "green"), f" {sid}: {name}"))
    for url, reason in result.failed:
        err.print(failure(url, reason))
    out.print(f"Imported {len(result.added)} of {result.total} feeds.")
    if len(result.added) < result.total:
        raise Exit(1)


@source_app.command("export-opml")
@command
async def source_export_opml(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")] = None,
) -> None:
    """Write the sources as OPML."""
    async with open_app(load_settings()) as ctx:
        text = await ctx.sources.export_opml()
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BriefbotError(f"cannot write {output}: {exc.strerror or exc}") from exc
        out.print(f"Wrote {output}")


# -- language batch work (no database) ---------------------------------------------------------


def _open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise BriefbotError(f"cannot open {path}: {exc.strerror or exc}") from exc


def _open_output(path: str, src: IO[bytes]) -> IO[bytes]:
    """The output, refused when it is the input itself (by any name: a link, or stdin redirected
    from it): opening it would empty the input before a line is read."""
    if path == "-":
        return sys.stdout.buffer
    try:
        target = os.stat(path)
    except OSError:
        target = None
    if target is not None and stat.S_ISREG(target.st_mode):
        source = os.fstat(src.fileno())
        if (source.st_dev, source.st_ino) == (target.st_dev, target.st_ino):
            raise BriefbotError(f"{path} is the input; write the output to another file")
    try:
        return open(path, "wb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise BriefbotError(f"cannot open {path}: {exc.strerror or exc}") from exc


def _count_lines(src: IO[bytes]) -> int | None:
    """Lines in a seekable input (for the progress bar), read a block at a time; None for a pipe."""
    if not src.seekable():
        return None
    count, last = 0, b"\n"
    while block := src.read(1024 * 1024):
        count += block.count(b"\n")
        last = block[-1:]
    src.seek(0)
    return count + (last != b"\n")


def _batch(input_path: str, output_path: str, required: tuple[str, ...],
           process: Callable[[Any, list[dict[str, Any]]], list[dict[str, Any]]], label: str) -> None:
    """Run ``process`` over a JSON Lines input: bad lines are reported by number, the rest go on;
    the exit status is 1 when any line was bad, or (one line on stderr) the input can't be used."""
    try:
        report = _run_batch(input_path, output_path, required, process, label)
    except BriefbotError as exc:
        err.print(line(("error:", "red"), f" {exc}"))
        raise typer.Exit(1) from None
    for bad in report.bad:
        err.print(failure(f"line {bad.line}", bad.reason))
    err.print(f"{report.written} written, {len(report.bad)} bad line(s)")
    if report.bad:
        raise typer.Exit(1)


def _run_batch(input_path: str, output_path: str, required: tuple[str, ...],
               process: Callable[[Any, list[dict[str, Any]]], list[dict[str, Any]]], label: str) -> BatchReport:
    from bot.language import build_language
    from summarizer.analyzer import MAX_CHARS

    language = build_language(load_settings())
    src = _open_input(input_path)
    try:
        dst = _open_output(output_path, src)
    except BriefbotError:
        if src is not sys.stdin.buffer:
            src.close()
        raise
    try:
        with err.status("Loading models ..."):
            language.warm_up()
        total = _count_lines(src)
        with progress() as bar:
            task = bar.add_task(label, total=total)
            return run_batches(read_records(src, required, max_chars=MAX_CHARS), dst,
                                 lambda batch: process(language, batch), on_progress=lambda n: bar.advance(task, n))
    except InputAborted as exc:
        raise BriefbotError(str(exc)) from None
    finally:
        for f in (src, dst):
            if f not in (sys.stdin.buffer, sys.stdout.buffer):
                f.close()


@app.command()
def analyze(
    input_path: Annotated[str, typer.Option("--input", "-i", help='JSON Lines {"id", "text", "title"?}; - for stdin.')],
    output_path: Annotated[str, typer.Option("--output", "-o", help="JSON Lines of analyses; - for stdout.")],
) -> None:
    """Summary, actors and statements for each document of a JSON Lines file."""
    def process(language: Any, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        docs = [document_of(r) for r in batch]
        return [analysis_record(d.id, a) for d, a in zip(docs, language.analyzer.run_many(docs), strict=True)]

    _batch(input_path, output_path, ("id", "text"), process, "analysing")


@app.command()
def ask(
    input_path: Annotated[str, typer.Option("--input", "-i", help='JSON Lines {"id", "text", "question"}; - for stdin.')],
    output_path: Annotated[str, typer.Option("--output", "-o", help="JSON Lines of answers; - for stdout.")],
) -> None:
    """Answer each question from its text, with citations, or say the text does not answer it
    (written by the language model when LLM_BASE_URL is set, checked against the text)."""
    settings = load_settings()

    def process(language: Any, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if llm_writes_answers(settings):
            return asyncio.run(_ask_llm(settings, language, batch))
        return [answer_record(r["id"], language.answerer.run(r["question"], [document_of(r)])) for r in batch]

    _batch(input_path, output_path, ("id", "text", "question"), process, "answering")


async def _ask_llm(settings: Settings, language: Any, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A batch of `briefbot ask` records answered by the language model, as threads are."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        llm = llm_answers(settings, session, language)
        out = []
        for r in batch:
            written = await llm.run(r["question"], [document_of(r)], {})
            out.append(answer_record(r["id"], written.answer, written.model))
        return out


@db_app.command("upgrade")
@command
async def db_upgrade() -> None:
    """Apply pending database migrations."""
    settings = load_settings()
    applied: list[str] = []

    def progress_cb(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)
            out.print(f"applied {app_label}.{name}")

    await upgrade(settings.resolved_database_url, progress=progress_cb)
    out.print("database is up to date" if not applied else f"{len(applied)} migration(s) applied")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
