"""`make bench` (commands part): server-side latency of /brief, /actor and the actor autocomplete.

Latency = from the handler being called to the reply being ready, without Discord transport, as the
cogs do it (cogs/news.py, cogs/actors.py):

* /brief: ``app.briefs.latest(guild)`` + ``present_brief``; and the same with topic "Iran nuclear
  talks" (the phrase is embedded with MiniLM on every call, its cache cleared, and matched against up to
  300 candidate stories; the very first call after start-up is shown apart);
* /actor: ``app.actors.profile(guild, name)`` + ``mentions_chart`` (matplotlib PNG, in a thread as the
  cog does) + ``present_actor``, for frequent actors (thousands of articles) and rare ones;
* autocomplete: ``app.actors.suggest(guild, "kha")``, and with "" as Discord sends when the field opens
  (Discord allows autocomplete 3 s too).

Data: a generated SQLite database with the real schema (migrated by ``open_database``) and realistic
shape: 100,000 articles over 60 days from 50 sources in 3 guilds (one big), ~40,000 stories, 5,000
actors with aliases (Zipf-like: "Iran", "United States", "Ali Khamenei" in thousands of articles),
~8 mentions and ~1.5 statements per article, one sighting per article (a few sighted by two guilds),
and unit-vector embeddings. It is cached under .bench/ keyed by DATA_VERSION (and the sizes), and
opening it applies any newer migration (so new indexes are built on the cached data once).

Target on a 2-core machine: p95 < 300 ms for each command.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".bench"
DATA_VERSION = "commands-v2"  # bump when the generator or the tables it writes change
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAYS = 60
DIM = 384
TARGET_MS = 300.0
TOPIC = "Iran nuclear talks"
PREFIX = "kha"
OUTLET_WORDS = ("Times", "Daily", "Wire", "Post", "Herald", "News")

GUILDS = (1001, 1002, 1003)  # big, mid, small
SOURCES_PER_GUILD = (40, 7, 3)
GUILD_SHARE = (0.80, 0.15, 0.05)  # of the articles
TWINS = {40: 0, 41: 1, 47: 2}  # source index in guild 2/3 -> the guild-1 source with the same feed

# Zipf head: the most mentioned actors, most frequent first; (name, type, extra aliases)
FAMOUS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Iran", "GPE", ("Islamic Republic of Iran",)),
    ("United States", "GPE", ("US", "U.S.", "America")),
    ("Ali Khamenei", "PERSON", ("Khamenei", "Ayatollah Ali Khamenei", "Supreme Leader Ali Khamenei")),
    ("Israel", "GPE", ()),
    ("Donald Trump", "PERSON", ("Trump", "President Trump")),
    ("Russia", "GPE", ("Russian Federation",)),
    ("China", "GPE", ("Beijing",)),
    ("Ukraine", "GPE", ()),
    ("European Union", "ORG", ("EU",)),
    ("United Nations", "ORG", ("UN", "U.N.")),
    ("International Atomic Energy Agency", "ORG", ("IAEA",)),
    ("Benjamin Netanyahu", "PERSON", ("Netanyahu",)),
    ("Vladimir Putin", "PERSON", ("Putin",)),
    ("Abbas Araghchi", "PERSON", ("Araghchi",)),
    ("Masoud Pezeshkian", "PERSON", ("Pezeshkian",)),
    ("Tehran", "GPE", ()),
    ("Hamas", "ORG", ()),
    ("Volodymyr Zelensky", "PERSON", ("Zelensky",)),
    ("Emmanuel Macron", "PERSON", ("Macron",)),
    ("Keir Starmer", "PERSON", ("Starmer",)),
    ("Gaza", "GPE", ("Gaza Strip",)),
    ("NATO", "ORG", ("North Atlantic Treaty Organization",)),
    ("Kharkiv", "GPE", ()),
    ("Sadiq Khan", "PERSON", ("Khan",)),
    ("Khan Younis", "GPE", ()),
    ("Imran Khan", "PERSON", ()),
    ("Khartoum", "GPE", ()),
    ("Germany", "GPE", ()),
    ("France", "GPE", ()),
    ("United Kingdom", "GPE", ("UK", "Britain")),
)
FREQUENT = ("Iran", "United States", "Ali Khamenei", "Khamenei", "Israel", "Donald Trump", "IAEA", "Putin")
IRAN_NUCLEAR = (0, 10, 13, 15)  # actor indexes of the "Iran nuclear talks" stories' core

_SYL = ("ka", "ri", "mo", "na", "lu", "te", "sa", "vo", "di", "ha", "be", "zo", "ra", "mi", "kha", "lo",
        "ne", "ta", "po", "shi", "da", "ve", "ro", "li", "gu", "an", "el", "or", "is", "um")
_WORDS = ("the government said on tuesday that talks would resume next week while officials warned that "
          "sanctions and energy prices were weighing on the economy and diplomats in the region argued "
          "for restraint after the strike ministers met late into the night to discuss the proposal the "
          "agency reported progress on inspections but negotiators said key issues remained unresolved "
          "analysts expect markets to react as protests spread across several cities and the parliament "
          "debated a new budget amid rising inflation and a shortage of fuel").split()
_SUBJECTS = ("talks", "sanctions", "election", "ceasefire", "budget", "strike", "summit", "protests", "inflation",
             "border clash", "trade deal", "energy prices", "court ruling", "aid convoy", "cabinet reshuffle")
_VERBS = ("weigh", "reject", "back", "push for", "warn over", "agree on", "clash over", "signal shift on")


# ---------------------------------------------------------------------------------------- generation


def _name(rng: random.Random, kind: str) -> str:
    def word(lo: int, hi: int) -> str:
        return "".join(rng.choice(_SYL) for _ in range(rng.randint(lo, hi))).capitalize()

    if kind == "PERSON":
        return f"{word(2, 3)} {word(2, 4)}"
    if kind == "ORG":
        return f"{word(2, 3)} {rng.choice(('Party', 'Bank', 'Council', 'Group', 'Institute', 'Ministry', 'Front'))}"
    return word(2, 4) + rng.choice(("", "", " Province", "stan", "ia"))


def _zipf_cum(n: int, s: float, offset: float) -> list[float]:
    out, total = [], 0.0
    for r in range(n):
        total += 1.0 / (r + 1 + offset) ** s
        out.append(total)
    return out


def _unit_vectors(np_rng, n: int):  # type: ignore[no-untyped-def]
    import numpy as np

    v = np_rng.standard_normal((n, DIM), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def _ts(t: datetime) -> str:
    return str(t)  # tortoise's SQLite format: "2026-11-26 12:00:00+00:00"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def generate(path: Path, *, articles: int, actors: int, seed: int) -> dict[str, float]:
    """Fill the migrated database at ``path`` with bulk raw SQL through the tortoise connection."""
    import numpy as np
    from tortoise import connections

    from bot.storage.db import open_database

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    corpus = " ".join(rng.choice(_WORDS) for _ in range(60_000))
    counts: dict[str, float] = {}
    t0 = time.perf_counter()

    def say(what: str) -> None:
        print(f"  {time.perf_counter() - t0:5.1f} s  {what}", flush=True)

    async with open_database(f"sqlite://{path}"):
        conn = connections.get("default")
        await conn.execute_script("PRAGMA synchronous = OFF")

        # sources: 50 over 3 guilds; 3 of the small guilds' feeds are also one of guild 1's
        src_rows, src_weight = [], []
        idx = 0
        for g, (guild, n) in enumerate(zip(GUILDS, SOURCES_PER_GUILD, strict=True)):
            ws = [1.0 / (k + 1) ** 0.7 for k in range(n)]
            for k in range(n):
                twin = TWINS.get(idx)
                if twin is not None:
                    url, title = src_rows[twin][2], src_rows[twin][4]
                else:
                    url = f"https://outlet{idx}.example/feed.xml"
                    title = f"{_name(rng, 'GPE').split()[0]} {rng.choice(OUTLET_WORDS)}"
                created = _ts(NOW - timedelta(days=DAYS + 5))
                src_rows.append((idx + 1, guild, url, _sha(url), title, "feed", 600, 0, 1, 1, created))
                src_weight.append(GUILD_SHARE[g] * ws[k] / sum(ws))
                idx += 1
        await conn.execute_many(
            'INSERT INTO "sources" ("id", "guild_id", "url", "url_key", "title", "kind", "interval_s", '
            '"failure_count", "primed", "scheduled", "created_at") VALUES (?,?,?,?,?,?,?,?,?,?,?)', src_rows)
        twin_of = {TWINS[i] + 1: i + 1 for i in TWINS}  # guild-1 source id -> its twin's source id
        src_cum = np.cumsum(src_weight).tolist()
        source_ids = [r[0] for r in src_rows]

        # actors (Zipf-like), with aliases
        act_rows, alias_rows, names, kinds = [], [], [], []
        seen_names: set[str] = set()
        for i in range(actors):
            if i < len(FAMOUS):
                name, kind, extra = FAMOUS[i]
            else:
                kind = rng.choices(("PERSON", "ORG", "GPE"), (0.5, 0.3, 0.2))[0]
                name = _name(rng, kind)
                while name in seen_names:
                    name = _name(rng, kind)
                extra = (name.split()[-1],) if kind == "PERSON" and rng.random() < 0.7 else ()
            seen_names.add(name)
            names.append(name)
            kinds.append(kind)
            act_rows.append((i + 1, name, kind, _ts(NOW - timedelta(days=DAYS))))
            keys: set[str] = set()
            for alias in (name, *extra):
                key = alias.casefold()
                if key not in keys:
                    keys.add(key)
                    alias_rows.append((len(alias_rows) + 1, i + 1, alias, key))
        await conn.execute_many('INSERT INTO "actors" ("id", "name", "type", "created_at") VALUES (?,?,?,?)',
                                act_rows)
        await conn.execute_many('INSERT INTO "actor_aliases" ("id", "actor_id", "alias", "alias_key") '
                                'VALUES (?,?,?,?)', alias_rows)
        counts["actors"], counts["aliases"] = len(act_rows), len(alias_rows)
        say(f"{len(src_rows)} sources, {len(act_rows):,} actors, {len(alias_rows):,} aliases")
        actor_cum = _zipf_cum(actors, 1.15, 2.5)
        actor_ids = list(range(actors))

        # stories: sizes 1-8 (mean ~2.5) until the articles are used up; members within ~a day
        sizes: list[int] = []
        while sum(sizes) < articles:
            sizes.append(rng.choices(range(1, 9), (45, 20, 10, 9, 6, 4, 3, 3))[0])
        sizes[-1] -= sum(sizes) - articles
        story_rows, art_rows, sight_rows, men_rows, st_rows = [], [], [], [], []
        art_id = men_id = st_id = sight_id = 0
        span = DAYS * 86400
        for sid, size in enumerate(sizes, start=1):
            start = NOW - timedelta(seconds=int(span * rng.random() ** 0.9))  # a little busier lately
            nuclear = rng.random() < 0.04
            core = list(IRAN_NUCLEAR) if nuclear else []
            core += [a for a in rng.choices(actor_ids, cum_weights=actor_cum, k=rng.randint(3, 6)) if a not in core]
            subject = "nuclear talks" if nuclear else rng.choice(_SUBJECTS)
            a, b = names[core[0]], names[core[1]]
            title = (f"Iran nuclear talks resume as {names[core[1]]} presses for access" if nuclear
                     else f"{a} and {b} {rng.choice(_VERBS)} {subject}")
            off = rng.randrange(0, len(corpus) - 700)
            briefing = (f"{title}. {a} said on Monday that the {subject} would continue. "
                        + corpus[off: off + rng.randint(200, 500)].capitalize() + ".")
            actor_counts: Counter[str] = Counter()
            times = sorted(min(NOW, start + timedelta(seconds=int(rng.expovariate(1 / 21600)))) for _ in range(size))
            for t in times:
                art_id += 1
                src = rng.choices(source_ids, cum_weights=src_cum)[0]
                fetched = t + timedelta(seconds=rng.randint(30, 900))
                url = f"https://outlet{src}.example/{t:%Y/%m/%d}/{art_id}-{subject.replace(' ', '-')}"
                off = rng.randrange(0, len(corpus) - 4000)
                text = corpus[off: off + rng.randint(1200, 3800)]
                summary = corpus[off: off + 300]
                art_rows.append((art_id, src, url, _sha(url), f"guid-{art_id}", _sha(f"c{art_id}"), title,
                                 _ts(t), "en", text, "page", _ts(fetched), 1, summary, "extractive",
                                 _ts(fetched + timedelta(minutes=1)), sid))
                sight_id += 1
                sight_rows.append((sight_id, src, art_id, _sha(f"{src}:{art_id}"), _ts(fetched)))
                if src in twin_of and rng.random() < 0.2:
                    sight_id += 1
                    sight_rows.append((sight_id, twin_of[src], art_id, _sha(f"{twin_of[src]}:{art_id}"),
                                       _ts(fetched + timedelta(minutes=5))))
                # ~8 mentions: 2-4 of the story's core actors and 0-3 others, 1-3 mentions each
                here = rng.sample(core, min(len(core), rng.randint(2, 4)))
                here += [x for x in rng.choices(actor_ids, cum_weights=actor_cum, k=rng.randint(0, 3))
                         if x not in here]
                pt = _ts(t)
                for x in here:
                    n = rng.choices((1, 2, 3), (45, 35, 20))[0]
                    actor_counts[names[x]] += n
                    for _ in range(n):
                        men_id += 1
                        pos = rng.randrange(0, 1200)
                        men_rows.append((men_id, x + 1, art_id, pos, pos + len(names[x]), pt))
                # ~1.5 statements, most by one of the article's people or organisations
                speakers = [x for x in here if kinds[x] != "GPE"] or here
                for _ in range(rng.choices((0, 1, 2, 3, 4), (25, 25, 30, 12, 8))[0]):
                    st_id += 1
                    who = rng.choice(speakers) if rng.random() < 0.85 else None
                    o = rng.randrange(0, len(corpus) - 300)
                    quote = corpus[o: o + rng.randint(60, 260)].strip().capitalize() + "."
                    pos = rng.randrange(0, 1000)
                    st_rows.append((st_id, art_id, who + 1 if who is not None else None,
                                    names[who] if who is not None else "a spokesperson",
                                    rng.choice(("said", "told", "warned", "added")), quote, pos, pos + len(quote),
                                    rng.choices(("direct", "indirect", "mixed"), (50, 35, 15))[0], pt))
            story_rows.append((sid, title, _ts(times[0]), _ts(times[-1]), len({r[1] for r in art_rows[-size:]}),
                               size, briefing, None, json.dumps(dict(actor_counts), separators=(",", ":")),
                               _ts(NOW)))
        say(f"{len(story_rows):,} stories, {len(art_rows):,} articles, {len(men_rows):,} mentions, "
            f"{len(st_rows):,} statements built")

        # vectors, in chunks (story centroids and article embeddings: random unit float32 vectors)
        for i in range(0, len(story_rows), 10_000):
            vecs = _unit_vectors(np_rng, len(story_rows[i:i + 10_000]))
            for j, row in enumerate(story_rows[i:i + 10_000]):
                story_rows[i + j] = (*row[:7], vecs[j].tobytes(), *row[8:])
        await conn.execute_many(
            'INSERT INTO "stories" ("id", "title", "first_seen_at", "last_seen_at", "sources_count", '
            '"articles_count", "briefing", "centroid", "actor_counts", "updated_at") VALUES (?,?,?,?,?,?,?,?,?,?)',
            story_rows)
        say("stories inserted")
        sql = ('INSERT INTO "articles" ("id", "source_id", "url", "url_key", "guid", "content_hash", "title", '
               '"published_at", "language", "text", "extraction", "fetched_at", "deliverable", "summary", '
               '"summary_method", "analyzed_at", "story_id", "embedding") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)')
        for i in range(0, len(art_rows), 10_000):
            chunk = art_rows[i:i + 10_000]
            vecs = _unit_vectors(np_rng, len(chunk))
            await conn.execute_many(sql, [(*row, vecs[j].tobytes()) for j, row in enumerate(chunk)])
        say("articles inserted")
        await conn.execute_many('INSERT INTO "article_sightings" ("id", "source_id", "article_id", "item_key", '
                                '"seen_at") VALUES (?,?,?,?,?)', sight_rows)
        await conn.execute_many('INSERT INTO "mentions" ("id", "actor_id", "article_id", "start", "end", '
                                '"published_at") VALUES (?,?,?,?,?,?)', men_rows)
        await conn.execute_many('INSERT INTO "statements" ("id", "article_id", "actor_id", "speaker", "cue", '
                                '"text", "start", "end", "kind", "published_at") VALUES (?,?,?,?,?,?,?,?,?,?)',
                                st_rows)
        say("sightings, mentions and statements inserted")
        # no ANALYZE: the bot never runs it, so the planner works without statistics as in production
    counts.update(stories=len(story_rows), articles=len(art_rows), sightings=len(sight_rows),
                  mentions=len(men_rows), statements=len(st_rows))
    return counts


def database(args: argparse.Namespace) -> tuple[Path, dict[str, float], float | None]:
    """The cached database for these sizes, generated when missing."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{DATA_VERSION}-{args.articles}a-{args.actors}x-s{args.seed}.sqlite3"
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file():
        return path, json.loads(meta.read_text()), None
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    print(f"generating {path.relative_to(REPO)} ({args.articles:,} articles)...", flush=True)
    t0 = time.perf_counter()
    counts = asyncio.run(generate(tmp, articles=args.articles, actors=args.actors, seed=args.seed))
    elapsed = time.perf_counter() - t0
    tmp.replace(path)
    counts["generated_s"] = round(elapsed, 1)
    meta.write_text(json.dumps(counts))
    return path, counts, elapsed


# ---------------------------------------------------------------------------------------- measuring


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def _time(label: str, calls: list[Callable[[], Awaitable[object]]], warm: int, budget_s: float,
                rows: list[tuple[str, list[float]]]) -> None:
    for call in calls[:warm]:
        await call()
    out: list[float] = []
    deadline = time.perf_counter() + budget_s
    for call in calls[warm:]:
        t = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t) * 1000)
        if time.perf_counter() > deadline:
            break
    rows.append((label, out))


async def _rare_actors(source_ids: dict[int, list[int]], per_guild: int, seed: int) -> dict[int, list[str]]:
    """Actors mentioned in 1-10 of each guild's articles (untimed set-up)."""
    from tortoise import connections

    conn = connections.get("default")
    rng = random.Random(seed)
    out: dict[int, list[str]] = {}
    for guild, ids in source_ids.items():
        marks = ",".join("?" * len(ids))
        rows = await conn.execute_query_dict(
            f'SELECT a."name" AS name, COUNT(DISTINCT m."article_id") AS n FROM "mentions" m '
            f'JOIN "actors" a ON a."id" = m."actor_id" WHERE m."article_id" IN '
            f'(SELECT "article_id" FROM "article_sightings" WHERE "source_id" IN ({marks})) '
            f'GROUP BY a."id" HAVING n BETWEEN 1 AND 10', ids)
        names = sorted(r["name"] for r in rows)
        out[guild] = rng.sample(names, min(per_guild, len(names)))
    return out


async def measure(path: Path, args: argparse.Namespace) -> tuple[list[tuple[str, list[float]]], dict[str, float]]:
    from bot.language import build_language
    from bot.presenters.actors import mentions_chart, present_actor
    from bot.presenters.briefs import present_brief
    from bot.services.actor_views import ActorViews
    from bot.services.briefs import BriefService
    from bot.services.scope import guild_source_ids
    from bot.settings import Settings
    from bot.storage.db import open_database

    def clock() -> datetime:
        return NOW

    language = build_language(Settings(_env_file=None))
    extra: dict[str, float] = {}
    t0 = time.perf_counter()
    async with open_database(f"sqlite://{path}"):  # applies any migration newer than the cached file
        extra["open_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        await asyncio.to_thread(language.warm_up)  # the bot's models_ready(), before /brief topic:
        extra["models_s"] = time.perf_counter() - t0
        briefs = BriefService(language.topics, clock=clock)  # as bot/app.py builds them, at the data's "now"
        actors = ActorViews(language.topics, clock=clock)

        async def brief(guild: int, topic: str | None = None) -> None:
            if topic:  # a user's topic is rarely the last one asked: embed the phrase on every call
                language.topics._cache.clear()
            result = await briefs.latest(guild, topic=topic)
            present_brief(result)

        async def actor(guild: int, name: str) -> None:
            profile = await actors.profile(guild, name)
            chart = await asyncio.to_thread(mentions_chart, profile.per_day, f"{profile.actor.name}: articles per day")
            present_actor(profile, chart)

        async def suggest(guild: int, prefix: str) -> None:
            await actors.suggest(guild, prefix)

        sources = {g: await guild_source_ids(g) for g in GUILDS}
        rare = await _rare_actors(sources, 40, args.seed)
        n = args.calls
        t0 = time.perf_counter()
        await brief(GUILDS[0], TOPIC)
        extra["topic_cold_ms"] = (time.perf_counter() - t0) * 1000
        guilds = [GUILDS[i % 3] for i in range(n + args.warm)]
        rows: list[tuple[str, list[float]]] = []
        budget = args.budget_s
        await _time("/brief", [lambda g=g: brief(g) for g in guilds], args.warm, budget, rows)
        await _time(f'/brief topic "{TOPIC}"', [lambda g=g: brief(g, TOPIC) for g in guilds], args.warm, budget,
                    rows)
        await _time("/actor, frequent actors",
                    [lambda g=g, i=i: actor(g, FREQUENT[i % len(FREQUENT)]) for i, g in enumerate(guilds)],
                    args.warm, budget, rows)
        await _time("/actor, rare actors (1-10 articles)",
                    [lambda g=g, i=i: actor(g, rare[g][i % len(rare[g])]) for i, g in enumerate(guilds)],
                    args.warm, budget, rows)
        await _time(f'autocomplete "{PREFIX}"', [lambda g=g: suggest(g, PREFIX) for g in guilds], args.warm, budget,
                    rows)
        await _time('autocomplete "" (the field just opened)', [lambda g=g: suggest(g, "") for g in guilds],
                    args.warm, budget, rows)
        chart_ms = []
        profile = await actors.profile(GUILDS[0], "Iran")
        for _ in range(20):
            t0 = time.perf_counter()
            mentions_chart(profile.per_day, "Iran: articles per day")
            chart_ms.append((time.perf_counter() - t0) * 1000)
        extra["chart_ms"] = statistics.median(chart_ms)
    return rows, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--actors", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls", type=int, default=100, help="timed calls per command (over the 3 guilds)")
    parser.add_argument("--warm", type=int, default=3, help="untimed warm-up calls per command")
    parser.add_argument("--budget-s", type=float, default=60.0,
                        help="stop timing a command after this many seconds (fewer calls when slow)")
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")

    path, counts, generated_s = database(args)
    rows, extra = asyncio.run(measure(path, args))
    size_mb = path.stat().st_size / 1e6  # after opening: with the indexes of any newer migration

    gen = (f"generated in {generated_s:.1f} s" if generated_s is not None
           else f"reused (generated in {counts.get('generated_s', 0):.1f} s)")
    print(f"database {path.relative_to(REPO)}: {size_mb:,.0f} MB, {gen}; opened (and migrated) in "
          f"{extra['open_s']:.1f} s")
    print(f"  {counts['articles']:,} articles, {counts['stories']:,} stories, {counts['actors']:,} actors "
          f"({counts['aliases']:,} aliases), {counts['mentions']:,} mentions, {counts['statements']:,} statements, "
          f"{counts['sightings']:,} sightings; guilds {', '.join(map(str, GUILDS))}")
    print(f"  models loaded in {extra['models_s']:.1f} s; the first /brief on the topic after start-up "
          f"{extra['topic_cold_ms']:.0f} ms; the /actor chart alone {extra['chart_ms']:.0f} ms (median)")
    print()
    print(f"{'server-side latency, ms':<44} {'calls':>5} {'p50':>7} {'p95':>7} {'max':>7}   target p95 < "
          f"{TARGET_MS:.0f}")
    for label, values in rows:
        p95 = _pct(values, 0.95)
        verdict = "ok" if p95 < TARGET_MS else "MISSED"
        print(f"{label:<44} {len(values):>5} {_pct(values, 0.5):7.1f} {p95:7.1f} {max(values):7.1f}   {verdict}")


if __name__ == "__main__":
    main()
