"""`make bench` (delivery part): briefings delivered per second, and thread answers' latency.

1. Delivery rate. The project's Discord stand-in (tests/support/discord, ``DiscordStandIn``: aiohttp on
   127.0.0.1 in its own thread, *in this process*, so it shares the GIL with the bot; started with
   ``spec_path=None``: no OpenAPI validation of the bodies, for speed) holds one guild with 500 text
   channels. A temp SQLite database (migrated by ``open_database``) gets 500 realtime subscriptions (one
   per channel, ``SubscriptionService.subscribe``) and 4 stories of 2 outlets' articles each, analysed by
   the real ``AnalysisService``; every subscription matches every story (its keywords name the four
   events), so ``Router.route_pending()`` queues 2,000 deliveries. Then the real path sends them: a
   discord.py ``Client`` connected to the stand-in on this event loop, ``DiscordSender(client)``,
   ``Deliverer(sender, BriefService(...), concurrency=N)`` and ``run_once()`` until nothing is pending.
   A delivery is two requests: the briefing (POST /channels/{id}/messages) and its thread (POST
   .../messages/{id}/threads). Each concurrency gets a fresh stand-in and fresh subscriptions on the
   same stories. The stand-in's messages and threads are counted afterwards: they must equal the
   deliveries (no duplicate, none lost). Discord's own rate limits are not simulated (see the note
   printed at the end).

2. Thread answers. 21 invented events (earthquake, port strike, rate rise, ferry sinking, ...), each
   reported by 10 outlets in their own words (templated sentences with numbers, names, places and a
   quote, in varied order and phrasing), are analysed by the real ``AnalysisService``; the stories it
   makes are checked against the events (any event split across stories is then put in one story
   directly, and said so). That database is cached under .bench/ (``--fresh`` redoes it; the analysis
   rate is printed either way). Each event gets a delivered briefing (a ``Delivery`` with a thread id)
   and ``ThreadService.answer(guild, thread, question)`` is timed for 3 questions per thread on 20
   threads (the 21st takes the untimed warm-up questions): a figure, an amount and one the articles
   cannot answer, in a rotating order; an answer is "right" when it holds the expected figure (or, for
   the last kind, when it is a refusal). The first question in a thread also builds the answerer's
   sentence index of its 10 articles (embeddings, cached per article after that), so it is shown apart,
   and ``Answerer.run`` alone (the model work, in a worker thread) is timed beside the whole call.

Expect about 30 s on 2 idle cores (plus ~10 s the first time, to analyse and cache part 2's articles).

Models: ``build_language(Settings(_env_file=None))`` and ``warm_up()``, as the bot does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.language import Language

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".bench"
DATA_VERSION = "delivery-threads-v1"  # bump when the articles, their analysis or the tables change
GUILD = 4242
GLOBAL_LIMIT_PER_S = 50  # Discord's global rate limit for a bot (requests per second)
CHANNEL_LIMIT = (5, 5.0)  # ~5 messages per 5 s per channel (the route's bucket)
OUTLETS = ("Wire One", "Gulf Daily", "Morning Herald", "Capital Post", "Northern Times", "Daily Ledger",
           "Global Report", "City Tribune", "Coast Courier", "Evening Dispatch")


@dataclass(frozen=True)
class Event:
    key: str  # the subscription keyword that finds it (part 1)
    subject: str
    pred: str
    day: str
    officials: str
    person: str
    role: str
    city: str
    quote: str
    facts: tuple[str, ...]  # number, money, organisation, context
    titles: tuple[str, ...]
    q_num: tuple[str, str]  # (question, a string the answer must contain)
    q_money: tuple[str, str]


EVENTS: tuple[Event, ...] = (
    Event("earthquake", "A magnitude 6.3 earthquake", "struck Varna province in northern Kelmar", "Tuesday",
          "the national disaster agency", "Mira Talvik", "the head of the disaster agency", "Varna",
          "Rescue teams are working through the night to reach people trapped under collapsed buildings",
          ("At least 47 people were killed and 312 injured.",
           "The government released 120 million euros in emergency aid.",
           "The Red Crescent sent 40 tents and medical teams to Varna.",
           "The quake was felt as far away as the capital, Dorvik, and aftershocks of up to magnitude 4.8 followed."),
          ("Magnitude 6.3 earthquake kills 47 in northern Kelmar", "Deadly earthquake hits Varna province",
           "Earthquake in Kelmar: dozens dead, hundreds injured"),
          ("How many people were killed in the earthquake?", "47"),
          ("How much emergency aid did the government release?", "120 million")),
    Event("port strike", "Dock workers at the port of Saldana", "walked out in a dispute over pay", "Monday",
          "the Harbour Workers Union", "Ivo Brannick", "the leader of the Harbour Workers Union", "Saldana",
          "We will stay out until the port authority puts a fair offer on the table",
          ("About 3,400 workers joined the strike, leaving 60 container ships waiting offshore.",
           "The union is demanding a pay rise of 9 percent, while the port authority has offered 4 percent.",
           "The port authority said it would ask a court to order the workers back.",
           "Saldana handles about a third of the country's imports."),
          ("Port strike halts Saldana as 3,400 dock workers walk out", "Saldana dockers strike over pay",
           "Port strike leaves 60 ships waiting off Saldana"),
          ("How many workers joined the strike?", "3,400"),
          ("What pay rise is the union demanding?", "9 percent")),
    Event("interest rate", "The Central Bank of Osterland", "raised its main interest rate by half a point to "
          "5.25 percent", "Thursday", "the bank's board", "Helena Varga", "the bank's governor", "Osterburg",
          "Inflation is still too high and we are prepared to act again if needed",
          ("Inflation in Osterland reached 7.8 percent in October.",
           "The decision will add about 60 euros a month to the cost of an average mortgage.",
           "The finance ministry welcomed the move, saying prices must come down.",
           "It was the bank's fourth interest rate increase this year."),
          ("Osterland central bank raises interest rate to 5.25 percent", "Central bank lifts rates again as "
           "inflation bites", "Osterland interest rate rise adds to mortgage costs"),
          ("What was inflation in October?", "7.8"),
          ("How much will the decision add to an average mortgage?", "60 euros")),
    Event("ferry", "A passenger ferry carrying 212 people", "sank off the coast of Pelora island", "Saturday",
          "the coast guard", "Dario Menotti", "a coast guard commander", "Pelora",
          "The sea was very rough and visibility was poor when the ferry went down",
          ("Rescuers pulled 189 survivors from the water, and 23 people are still missing.",
           "The ferry operator, Blue Line Ferries, offered 10,000 euros to each victim's family.",
           "Navy divers joined the search on Sunday morning.",
           "The ferry was built in 1988 and had passed an inspection in March."),
          ("Ferry sinks off Pelora with 212 on board", "23 missing after ferry goes down off Pelora island",
           "Rescuers save 189 as ferry sinks in rough seas"),
          ("How many people are still missing?", "23"),
          ("How much did the ferry operator offer the families?", "10,000")),
    Event("wildfire", "A wildfire", "spread across 14,000 hectares of forest near the town of Arcos", "Sunday",
          "firefighters", "Luis Montaner", "the regional fire chief", "Arcos",
          "Strong winds are pushing the flames towards the villages and we need more aircraft",
          ("More than 2,600 residents were evacuated from five villages.",
           "The regional government approved 35 million euros for farmers who lost crops.",
           "Twelve water-bombing planes were sent from neighbouring countries.",
           "Temperatures reached 43 degrees on the day the fire started."),
          ("Wildfire near Arcos forces 2,600 to flee", "Arcos wildfire burns 14,000 hectares",
           "Winds fan wildfire towards villages near Arcos"),
          ("How many residents were evacuated?", "2,600"),
          ("How much money was approved for farmers?", "35 million")),
    Event("election", "Voters in Rendavia", "elected Tomas Arvid as president with 54 percent of the vote",
          "Sunday", "the electoral commission", "Tomas Arvid", "the president-elect", "Rendavia's capital",
          "Tonight the people chose change and I will be a president for everyone",
          ("Turnout was 71 percent, the highest since 1994.",
           "Arvid has promised to cut fuel taxes by 2 billion crowns.",
           "The electoral commission said counting was complete in all 12 regions.",
           "His rival, Petra Lind, conceded defeat shortly after midnight."),
          ("Tomas Arvid wins Rendavia presidential election", "Arvid elected president of Rendavia with 54 percent",
           "Rendavia election: Arvid beats Lind"),
          ("What was the turnout in the election?", "71"),
          ("How much has Arvid promised to cut fuel taxes?", "2 billion")),
    Event("train crash", "Two passenger trains", "collided near the station of Bellmoor", "Wednesday",
          "the rail operator", "Sarah Okonkwo", "the transport minister", "Bellmoor",
          "We will find out exactly what went wrong and who is responsible",
          ("Nine people died and 64 were taken to hospital.",
           "The operator, NorthRail, faces fines of up to 5 million pounds.",
           "The rail safety board opened an investigation into a signal failure.",
           "The line between Bellmoor and Eastwick will stay closed until Friday."),
          ("Train crash near Bellmoor kills nine", "Two trains collide at Bellmoor, 64 in hospital",
           "Signal failure suspected in Bellmoor train crash"),
          ("How many people died in the train crash?", "Nine"),
          ("How large a fine does the operator face?", "5 million")),
    Event("explosion", "An explosion at a chemical plant", "shook the industrial town of Krasno", "Friday",
          "local authorities", "Anton Belyk", "the mayor of Krasno", "Krasno",
          "Residents should keep their windows closed until the air has been tested",
          ("Six workers were killed and 22 were injured in the blast.",
           "The plant's owner, Vostek Chemicals, said the damage could exceed 80 million dollars.",
           "Environmental inspectors measured chlorine in the air up to 3 kilometres away.",
           "The plant employs about 900 people."),
          ("Chemical plant explosion in Krasno kills six", "Blast at Vostek plant shakes Krasno",
           "Krasno residents told to stay indoors after chemical explosion"),
          ("How many workers were injured?", "22"),
          ("How much damage could the explosion cause?", "80 million")),
    Event("climate summit", "Leaders of 30 countries", "agreed to triple renewable energy capacity by 2035 at a "
          "summit in Lisbora", "Friday", "summit organisers", "Amara Diallo", "the summit's chair", "Lisbora",
          "This is the first time so many countries have signed up to a concrete number",
          ("The countries in the agreement produce 62 percent of global emissions.",
           "Rich countries pledged 40 billion dollars a year to help poorer nations build solar and wind farms.",
           "Environmental groups said the deal did not go far enough on coal.",
           "The next summit will be held in Nairobi in 2027."),
          ("Climate summit in Lisbora: 30 countries pledge to triple renewables", "Leaders agree renewable "
           "energy target at Lisbora summit", "Lisbora climate summit ends with 2035 pledge"),
          ("What share of global emissions do the countries produce?", "62 percent"),
          ("How much did rich countries pledge?", "40 billion")),
    Event("flood", "Heavy rain", "caused the river Olm to burst its banks in the city of Harlen", "Monday",
          "the city council", "Greta Holm", "the mayor of Harlen", "Harlen",
          "Water levels are still rising and people must stay away from the river",
          ("About 4,500 homes were flooded and two people died.",
           "Insurers estimate the losses at 300 million euros.",
           "The army deployed 800 soldiers to build sandbag walls.",
           "It was the highest water level recorded in Harlen since 1962."),
          ("Flood in Harlen: river Olm bursts its banks", "4,500 homes flooded as Olm overflows",
           "Harlen flood kills two, army deployed"),
          ("How many homes were flooded?", "4,500"),
          ("How big are the insured losses?", "300 million")),
    Event("doctors", "Junior doctors in Caldera", "began a five-day strike over working hours", "Tuesday",
          "the Medical Union", "Nadia Ferreira", "a spokeswoman for the Medical Union", "Caldera",
          "Doctors are working 70-hour weeks and patients are paying the price",
          ("More than 18,000 hospital appointments were cancelled on the first day.",
           "The health ministry offered a bonus of 2,000 dollars, which the union rejected.",
           "Emergency departments stayed open with senior staff.",
           "It is the third strike by junior doctors this year."),
          ("Junior doctors in Caldera start five-day strike", "18,000 appointments cancelled as doctors walk "
           "out", "Caldera doctors strike over 70-hour weeks"),
          ("How many appointments were cancelled?", "18,000"),
          ("What bonus did the health ministry offer?", "2,000")),
    Event("mine", "A tunnel collapse at the Kopje gold mine", "trapped 31 miners underground", "Thursday",
          "the mining company", "Johan Pieterse", "the mine's operations director", "Kopje",
          "We are in contact with the miners and they have air, water and food",
          ("Rescuers drilled a 450-metre shaft to reach the trapped miners.",
           "The company, Goldfield Resources, said it had spent 4 million dollars on the rescue.",
           "The mine workers' union called for an inquiry into safety checks.",
           "The mine had been cited for ventilation problems in 2022."),
          ("31 miners trapped after tunnel collapse at Kopje gold mine", "Rescuers race to reach trapped "
           "Kopje miners", "Kopje mine collapse: miners alive, company says"),
          ("How deep is the shaft the rescuers drilled?", "450"),
          ("How much has the company spent on the rescue?", "4 million")),
    Event("layoffs", "The software company Nimbus Systems", "announced that it will cut 4,200 jobs",
          "Wednesday", "the company", "Daniel Ruiz", "the company's chief executive", "Nimbus's headquarters",
          "These are painful decisions, but we have to focus on fewer products",
          ("The cuts amount to 11 percent of the company's workforce.",
           "Nimbus expects the job cuts to save 900 million dollars a year.",
           "Shares in Nimbus rose 6 percent after the announcement.",
           "Most of the cuts will fall on the sales and marketing teams."),
          ("Nimbus Systems to cut 4,200 jobs", "Software maker Nimbus announces layoffs",
           "Nimbus layoffs: 11 percent of staff to go"),
          ("What share of the workforce is being cut?", "11 percent"),
          ("How much does Nimbus expect to save?", "900 million")),
    Event("rocket", "The Aurora-2 rocket", "launched a weather satellite from the Kestrel spaceport", "Tuesday",
          "the national space agency", "Ingrid Solberg", "the head of the space agency", "Kestrel",
          "Every stage worked exactly as planned and the satellite is talking to us",
          ("The satellite weighs 1,300 kilograms and will orbit at 820 kilometres.",
           "The mission cost 210 million euros.",
           "Meteorologists said the satellite will improve storm forecasts.",
           "It was the rocket's second flight after a failure in 2024."),
          ("Aurora-2 rocket launches weather satellite", "Kestrel spaceport launch puts weather satellite in "
           "orbit", "Second Aurora-2 flight succeeds"),
          ("How much does the satellite weigh?", "1,300"),
          ("How much did the mission cost?", "210 million")),
    Event("vaccine", "The medicines regulator of Valmora", "approved a new malaria vaccine for children",
          "Monday", "the regulator", "Kofi Mensah", "the regulator's chief scientist", "Valmora",
          "The vaccine cut severe malaria cases by more than half in trials",
          ("The vaccine was tested on 9,000 children in four countries.",
           "Each dose of the vaccine will cost about 3 dollars.",
           "The manufacturer, Helix Bio, plans to produce 20 million doses next year.",
           "Children will receive four doses, starting at five months old."),
          ("Valmora approves malaria vaccine for children", "New malaria vaccine gets green light",
           "Malaria vaccine approved after trials on 9,000 children"),
          ("How many children was the vaccine tested on?", "9,000"),
          ("How much will each dose cost?", "3 dollars")),
    Event("pension protest", "Tens of thousands of people", "marched through the capital Tarsk against a new "
          "pension law", "Saturday", "police", "Olek Marr", "the leader of the Workers' Alliance", "Tarsk",
          "We will not accept working until 67 while ministers retire at 60",
          ("Police estimated the crowd at 85,000, while organisers said 200,000 took part.",
           "The government says the law would save the state 6 billion crowns by 2030.",
           "Police arrested 34 people after clashes near parliament.",
           "The law raises the retirement age from 65 to 67."),
          ("Pension protest: tens of thousands march in Tarsk", "Tarsk march against pension law ends in "
           "arrests", "Protesters reject retirement at 67"),
          ("How many people did police say marched?", "85,000"),
          ("How much would the pension law save?", "6 billion")),
    Event("airline merger", "The airlines SkyNord and Baltair", "agreed to merge in a deal worth 3.4 billion "
          "euros", "Thursday", "the companies", "Elise Marchetti", "the chief executive of SkyNord",
          "Copenhagen", "Together we can compete with the biggest carriers in Europe",
          ("The combined airline will have 310 aircraft and 28,000 staff.",
           "Shareholders of Baltair will receive 14 euros per share.",
           "Competition regulators said they would review the merger.",
           "The merged airline will be based in Copenhagen."),
          ("SkyNord and Baltair agree airline merger", "Airline merger creates carrier with 310 aircraft",
           "SkyNord buys Baltair in 3.4 billion euro deal"),
          ("How many aircraft will the combined airline have?", "310"),
          ("How much will Baltair shareholders receive per share?", "14 euros")),
    Event("power outage", "A power outage", "left 1.2 million homes without electricity in the region of "
          "Marlow", "Wednesday", "the grid operator", "Peter Haines", "the chief executive of GridCo", "Marlow",
          "A fault at a substation caused a chain reaction across the network",
          ("Power was restored to 90 percent of homes within six hours.",
           "The regulator said GridCo could be fined 50 million pounds.",
           "Hospitals switched to backup generators during the power outage.",
           "Traffic lights failed across Marlow during the evening rush hour."),
          ("Power outage leaves 1.2 million homes dark in Marlow", "GridCo blames substation for Marlow "
           "blackout", "Marlow power cut: hospitals on generators"),
          ("What share of homes had power restored within six hours?", "90 percent"),
          ("How much could GridCo be fined?", "50 million")),
    Event("cyberattack", "A cyberattack", "shut down the computer systems of the city of Brenna", "Monday",
          "city officials", "Katrin Vos", "the city's chief digital officer", "Brenna",
          "We have no intention of paying the criminals behind this attack",
          ("The attackers encrypted 1,700 computers and demanded a ransom.",
           "The hackers demanded 2 million dollars in bitcoin.",
           "The national cyber security centre is helping the city restore its systems.",
           "Birth certificates and parking permits cannot be issued until next week."),
          ("Cyberattack shuts down Brenna city systems", "Brenna refuses to pay ransom after cyberattack",
           "Hackers encrypt 1,700 computers in Brenna"),
          ("How many computers were encrypted?", "1,700"),
          ("How much ransom did the hackers demand?", "2 million")),
    Event("shipwreck", "Archaeologists", "uncovered a Roman merchant ship off the coast of Sarno", "Friday",
          "the culture ministry", "Lucia Bassani", "the excavation's lead archaeologist", "Sarno",
          "The cargo is almost intact, which is extremely rare",
          ("The ship carried about 3,000 amphorae of wine and olive oil.",
           "The culture ministry will spend 8 million euros to raise the ship.",
           "The ship will be displayed in a new museum in Sarno.",
           "The wreck lies at a depth of 38 metres."),
          ("Roman shipwreck found off Sarno", "Archaeologists uncover Roman merchant ship with intact cargo",
           "Sarno shipwreck: 3,000 amphorae on the seabed"),
          ("How many amphorae did the ship carry?", "3,000"),
          ("How much will the ministry spend to raise the ship?", "8 million")),
    Event("volcano", "The Mount Ketura volcano", "erupted on the island of Sabu", "Thursday", "volcanologists",
          "Dewi Santoso", "the head of the volcanology centre", "Sabu",
          "The eruption could continue for weeks and the exclusion zone will stay",
          ("Ash rose 9 kilometres into the sky and 12,000 people were evacuated.",
           "Airlines cancelled 140 flights, costing the tourism industry an estimated 25 million dollars.",
           "The airport on Sabu was closed until Thursday.",
           "The volcano last erupted in 2010."),
          ("Mount Ketura volcano erupts on Sabu", "12,000 evacuated as Ketura erupts",
           "Volcano ash closes Sabu airport"),
          ("How many people were evacuated?", "12,000"),
          ("How many flights were cancelled?", "140")),
)
DELIVERY_EVENTS = EVENTS[:4]  # part 1: earthquake, port strike, interest rate, ferry
TOPICS = ("world news", "breaking news", "international", "top stories", "europe")

UNANSWERABLE = (
    "Who won the football cup final?",
    "What is the weather forecast for the weekend?",
    "What did the prime minister of Norway say about it?",
    "How many tickets were sold for the concert?",
    "When will the new stadium open?",
    "What is the price of coffee in Brazil?",
)
_LEAD = ("{Subject} {pred} on {day}, {officials} said.", "On {day}, {subject} {pred}, according to {officials}.",
         "{Subject} {pred} on {day}.")
_QUOTE = ('"{quote}," {person}, {role}, said.', '{person}, {role}, said: "{quote}."',
          '"{quote}," said {person}, {role}, speaking in {city}.', '{person} told reporters: "{quote}."')
_ATTRIB = ("{s}", "According to {officials}, {s_lc}", "{s_np}, {officials} said.", "{s_np}, {outlet} understands.",
           "{s}")
_TAIL = ("More details are expected later on {day}.", "{outlet} could not independently verify all the figures.",
         "The situation was still developing on {day} evening.", "", "")
_COMMON_FIRST = {"the", "a", "an", "about", "more", "at", "it", "each", "most", "police", "rescuers", "power",
                 "ash", "shares", "emergency", "environmental", "hospitals", "traffic", "competition", "twelve",
                 "six", "nine", "turnout", "insurers", "navy", "children", "airlines", "inflation", "temperatures",
                 "meteorologists"}


def _lc(s: str) -> str:
    first = s.split(" ", 1)[0].lower()
    return s[:1].lower() + s[1:] if first in _COMMON_FIRST else s


def write_article(ev: Event, outlet: str, rng: random.Random) -> tuple[str, str]:
    """(title, text): one outlet's version of the event."""
    slots = dict(subject=_lc(ev.subject), Subject=ev.subject, pred=ev.pred, day=ev.day, officials=ev.officials,
                 person=ev.person, role=ev.role, city=ev.city, quote=ev.quote, outlet=outlet)
    lead = rng.choice(_LEAD).format(**slots)
    facts = list(ev.facts)
    rng.shuffle(facts)
    facts = facts[: rng.randint(3, 4)]
    body = []
    for f in facts:
        body.append(rng.choice(_ATTRIB).format(s=f, s_lc=_lc(f), s_np=f.rstrip("."), **slots))
    body.insert(rng.randint(0, len(body)), rng.choice(_QUOTE).format(**slots))
    tail = rng.choice(_TAIL).format(**slots)
    text = " ".join([lead, *body, *([tail] if tail else [])])
    return rng.choice(ev.titles), text


# ---------------------------------------------------------------------------------------- set-up


async def store_articles(events: tuple[Event, ...], outlets: tuple[str, ...], guild: int, now: datetime,
                         rng: random.Random) -> dict[int, int]:
    """Sources (one per outlet), articles and sightings, as ingestion leaves them. -> article id: event index"""
    from bot.ingest.pipeline import key_of
    from bot.storage.models import Article, ArticleSighting, Source

    sources = {}
    for name in outlets:
        slug = name.replace(" ", "").lower()
        sources[name] = await Source.create(guild_id=guild, url=f"https://{slug}.example/feed.xml",
                                            url_key=key_of(f"{guild}:{slug}"), title=name, kind="feed")
    event_of: dict[int, int] = {}
    for i, ev in enumerate(events):
        t0 = now - timedelta(hours=6) + timedelta(minutes=7 * i)
        for j, outlet in enumerate(outlets):
            title, text = write_article(ev, outlet, rng)
            slug = outlet.replace(" ", "").lower()
            url = f"https://{slug}.example/2026/{ev.key.replace(' ', '-')}-{i}"
            published = t0 + timedelta(minutes=rng.randint(0, 150))
            source = sources[outlet]
            article = await Article.create(source=source, url=url, url_key=key_of(url), content_hash=key_of(text),
                                           title=title, text=text, extraction="page", fetched_at=published,
                                           published_at=published)
            await ArticleSighting.create(source=source, article=article, item_key=f"{guild}:{url}",
                                         seen_at=published)
            event_of[article.id] = i
    return event_of


async def analyse(language: Language, event_of: dict[int, int]) -> tuple[float, dict[int, list[int]], int]:
    """Run the real AnalysisService. -> (seconds, event -> story ids (by article), events split or merged)"""
    from bot.services.actors import ActorStore
    from bot.services.analysis import AnalysisService
    from bot.storage.models import Article

    service = AnalysisService(language.analyzer, language.clusterer, ActorStore(), batch_size=16)
    t0 = time.perf_counter()
    done = await service.process_pending(limit=10_000)
    elapsed = time.perf_counter() - t0
    errors = [d for d in done if d.error]
    if errors:
        raise SystemExit(f"analysis failed for {len(errors)} articles: {errors[0].error}")
    stories: dict[int, list[int]] = defaultdict(list)
    for aid, sid in await Article.filter(id__in=list(event_of)).values_list("id", "story_id"):
        stories[event_of[aid]].append(sid)
    events_of_story: dict[int, set[int]] = defaultdict(set)
    for ev, sids in stories.items():
        for s in sids:
            events_of_story[s].add(ev)
    off = sum(1 for sids in stories.values() if len(set(sids)) > 1
              or any(len(events_of_story[s]) > 1 for s in sids))
    return elapsed, dict(stories), off


async def one_story_per_event(stories: dict[int, list[int]]) -> dict[int, int]:
    """Make each event exactly one story (the story most of its articles joined, or a new one)."""
    from bot.storage.models import Story

    taken: set[int] = set()
    out: dict[int, int] = {}
    for ev, sids in sorted(stories.items()):
        best = Counter(sids).most_common(1)[0][0]
        if best in taken:
            old = await Story.get(id=best)
            new = await Story.create(title=old.title, first_seen_at=old.first_seen_at, last_seen_at=old.last_seen_at,
                                     sources_count=old.sources_count, articles_count=old.articles_count,
                                     briefing=old.briefing, centroid=old.centroid, actor_counts=old.actor_counts)
            best = new.id
        taken.add(best)
        out[ev] = best
    return out


async def fix_stories(event_of: dict[int, int], story_of_event: dict[int, int]) -> None:
    from bot.storage.models import Article

    by_event: dict[int, list[int]] = defaultdict(list)
    for aid, ev in event_of.items():
        by_event[ev].append(aid)
    for ev, aids in by_event.items():
        await Article.filter(id__in=aids).update(story_id=story_of_event[ev])


# ---------------------------------------------------------------------------------------- part 1


@dataclass
class DeliveryRun:
    concurrency: int
    routed: int
    route_s: float
    deliveries: int
    wall_s: float
    requests: int
    routes: Counter[str]
    messages: int
    threads: int
    channels_ok: int
    db_sent: int
    db_threads: int
    violations: int
    nonce_hits: int
    passes: int


async def deliver_once(language: Language, channels: int, concurrency: int, stories: int) -> DeliveryRun:
    """One fresh stand-in with ``channels`` channels, subscriptions, routing, and delivery until done."""
    import discord

    from bot.delivery.deliverer import Deliverer
    from bot.delivery.router import Router
    from bot.discord.sender import DiscordSender
    from bot.services.briefs import BriefService
    from bot.services.subscriptions import SubscriptionService
    from bot.storage.models import Article, Delivery, DeliveryUpdate, PipelineEvent, Subscription
    from tests.support.discord import DiscordStandIn

    # a clean outbox: the same analysed stories, routed again to this run's channels
    await DeliveryUpdate.all().delete()
    await Delivery.all().delete()
    await Subscription.all().delete()
    await PipelineEvent.filter(stage="topic").delete()
    await Article.all().update(routed_at=None)

    d = DiscordStandIn(spec_path=None)
    d.start()
    try:
        d.add_guild("Newsroom", guild_id=GUILD)
        ids = [d.add_channel(GUILD, f"briefings-{i:03d}") for i in range(channels)]
        subs = SubscriptionService(max_per_guild=channels + 10)
        keywords = ", ".join(ev.key for ev in DELIVERY_EVENTS[:stories])
        for i, channel in enumerate(ids):
            await subs.subscribe(GUILD, channel, TOPICS[i % len(TOPICS)], keywords=keywords, cap_per_hour=60)
        router = Router(language.topics)
        t0 = time.perf_counter()
        routed = 0
        while True:
            report = await router.route_pending()
            routed += report.deliveries
            if not report.articles:
                break
        route_s = time.perf_counter() - t0

        with d.patch_discord_py():
            intents = discord.Intents.none()
            intents.guilds = True
            intents.guild_messages = True
            client = discord.Client(intents=intents, guild_ready_timeout=0.3)
            runner = asyncio.create_task(client.start(d.token), name="discord-client")
            try:
                ready = asyncio.create_task(client.wait_until_ready())
                await asyncio.wait([ready, runner], timeout=30, return_when=asyncio.FIRST_COMPLETED)
                if runner.done():
                    runner.result()
                if not ready.done():
                    raise SystemExit("the discord.py client did not get ready within 30 s")
                if len(client.get_guild(GUILD).text_channels) != channels:  # type: ignore[union-attr]
                    raise SystemExit("the client does not see every channel")
                deliverer = Deliverer(DiscordSender(client), BriefService(language.topics), concurrency=concurrency)
                before = len(d.requests)
                sent = passes = 0
                t0 = time.perf_counter()
                while True:
                    report = await deliverer.run_once()
                    passes += 1
                    sent += report.sent
                    left = await Delivery.filter(status__in=["pending", "sending"]).count()
                    if not left or (not report.anything and not report.retried):
                        break
                wall_s = time.perf_counter() - t0
            finally:
                await client.close()
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
        reqs = d.requests[before:]
        messages = sum(len(d.top_level_messages(c)) for c in ids)
        threads = sum(len(d.threads(c)) for c in ids)
        ok = 0
        for c in ids:
            msgs = d.top_level_messages(c)
            if len(msgs) == stories and len({m["embeds"][0]["title"] for m in msgs if m.get("embeds")}) == stories \
                    and all(m.get("thread") for m in msgs):
                ok += 1
        return DeliveryRun(
            concurrency=concurrency, routed=routed, route_s=route_s, deliveries=sent, wall_s=wall_s,
            requests=len(reqs), routes=Counter(r.route or r.path for r in reqs), messages=messages, threads=threads,
            channels_ok=ok, db_sent=await Delivery.filter(status="sent").count(),
            db_threads=await Delivery.filter(status="sent", thread_id__not_isnull=True).count(),
            violations=len(d.violations), nonce_hits=d.nonce_hits, passes=passes)
    finally:
        d.stop()


async def part1(language: Language, args: argparse.Namespace, tmp: Path) -> tuple[list[DeliveryRun], dict[str, float]]:
    from bot.storage.db import open_database

    rng = random.Random(args.seed)
    extra: dict[str, float] = {}
    now = datetime.now(UTC)
    runs = []
    async with open_database(f"sqlite://{tmp / 'delivery.sqlite3'}"):
        event_of = await store_articles(DELIVERY_EVENTS[: args.stories], OUTLETS[:2], GUILD, now, rng)
        extra["analyse_s"], stories, off = await analyse(language, event_of)
        if off:  # each event must be one story, or the counts below are not "stories x channels"
            await fix_stories(event_of, await one_story_per_event(stories))
        extra["articles"], extra["clustering_off"] = len(event_of), off
        for c in args.concurrency:
            runs.append(await deliver_once(language, args.channels, c, args.stories))
    return runs, extra


# ---------------------------------------------------------------------------------------- part 2


@dataclass
class Asked:
    question: str
    expect: str | None  # None: unanswerable
    first: bool  # the thread's first question
    ms: float
    model_ms: float  # of which Answerer.run (in a worker thread)
    answered: bool
    right: bool


class TimedAnswerer:
    """The real Answerer, with the time of its last ``run`` (the model work AskService does in a thread)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.last_ms = 0.0

    def run(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self._inner.run(*args, **kwargs)
        finally:
            self.last_ms = (time.perf_counter() - t0) * 1000


async def thread_database(language: Language, args: argparse.Namespace) -> tuple[Path, dict[str, Any]]:
    """Part 2's articles, analysed and made into one story per event: cached under .bench/ (analysis
    is the slow part: about 200 articles); generated when missing or with --fresh."""
    from bot.storage.db import open_database
    from bot.storage.models import Article

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{DATA_VERSION}-{args.threads}t-{args.articles}a-s{args.seed}.sqlite3"
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file() and not args.fresh:
        extra = json.loads(meta.read_text())
        extra["reused"] = 1
        return path, extra
    tmp = path.with_suffix(".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), path, meta):
        p.unlink(missing_ok=True)
    print(f"generating {path.relative_to(REPO)} (analysing {(args.threads + 1) * args.articles} articles)...",
          flush=True)
    rng = random.Random(args.seed + 1)
    events = EVENTS[: args.threads + 1]
    extra: dict[str, Any] = {}
    async with open_database(f"sqlite://{tmp}"):
        event_of = await store_articles(events, OUTLETS[: args.articles], GUILD, datetime.now(UTC), rng)
        extra["analyse_s"], stories, off = await analyse(language, event_of)
        extra["articles"], extra["clustering_off"] = len(event_of), off
        extra["stories_made"] = len({s for sids in stories.values() for s in sids})
        story_of_event = await one_story_per_event(stories)
        if off:
            await fix_stories(event_of, story_of_event)
        sizes = [await Article.filter(story_id=s).count() for s in story_of_event.values()]
        extra["min_articles"], extra["max_articles"] = min(sizes), max(sizes)
        extra["story_of_event"] = story_of_event
    for suffix in ("-wal", "-shm"):  # closed: the WAL is checkpointed into the file
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    tmp.replace(path)
    meta.write_text(json.dumps(extra))
    return path, extra


async def part2(language: Language, args: argparse.Namespace, tmp: Path) -> tuple[list[Asked], dict[str, Any]]:
    from bot.services.asking import AskService
    from bot.services.threads import ThreadService
    from bot.storage.db import open_database
    from bot.storage.models import Delivery

    events = EVENTS[: args.threads + 1]  # the last one: warm-up questions
    now = datetime.now(UTC)
    out: list[Asked] = []
    cached, extra = await thread_database(language, args)
    path = tmp / "threads.sqlite3"
    shutil.copyfile(cached, path)  # the timed run writes thread turns: keep the cached file as it was
    async with open_database(f"sqlite://{path}"):
        story_of_event = {int(k): v for k, v in extra.pop("story_of_event").items()}
        thread_of = {}
        for ev, story in story_of_event.items():
            thread_of[ev] = 7_000_000 + ev
            await Delivery.create(story_id=story, guild_id=GUILD, channel_id=6_000_000, idempotency_key=f"t{ev}",
                                  status="sent", message_id=thread_of[ev], thread_id=thread_of[ev], sent_at=now,
                                  sources_count=args.articles)
        answerer = TimedAnswerer(language.answerer)
        threads = ThreadService(AskService(answerer, language.embedder))  # type: ignore[arg-type]
        warm_ev = len(events) - 1
        for q in (events[warm_ev].q_num[0], events[warm_ev].q_money[0], UNANSWERABLE[0]):
            await threads.answer(GUILD, thread_of[warm_ev], q)
        plan = []  # (event, question, expected or None, first)
        for ev in range(len(events) - 1):
            e = events[ev]
            qs: list[tuple[str, str | None]] = [e.q_num, e.q_money, (UNANSWERABLE[ev % len(UNANSWERABLE)], None)]
            qs = qs[ev % 3:] + qs[: ev % 3]  # rotate: each kind is first in a third of the threads
            plan += [(ev, q, x, k == 0) for k, (q, x) in enumerate(qs)]
        for ev, q, expect, first in plan:
            t0 = time.perf_counter()
            view = await threads.answer(GUILD, thread_of[ev], q)
            ms = (time.perf_counter() - t0) * 1000
            right = (not view.answered) if expect is None else (view.answered and expect.lower() in view.text.lower())
            out.append(Asked(q, expect, first, ms, answerer.last_ms, view.answered, right))
    return out, extra


# ---------------------------------------------------------------------------------------- main


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def run(args: argparse.Namespace) -> None:
    from bot.language import build_language
    from bot.settings import Settings

    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    settings = Settings(_env_file=None)
    language = build_language(settings)
    await asyncio.to_thread(language.warm_up)
    models_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as d:
        tmp = Path(d)
        runs, p1 = await part1(language, args, tmp) if not args.skip_delivery else ([], {})
        asked, p2 = await part2(language, args, tmp) if not args.skip_threads else ([], {})

    print(f"models loaded in {models_s:.1f} s (build_language(Settings(_env_file=None)), warm_up()); "
          f"{os.cpu_count()} CPUs, load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          f"(other work on the machine slows all of this); Python {sys.version.split()[0]}")
    if runs:
        n = args.stories * args.channels
        print()
        print(f"1. delivery: {args.channels} channels in one guild, {args.channels} subscriptions, {args.stories} "
              f"stories ({p1['articles']:.0f} articles analysed in {p1['analyse_s']:.1f} s"
              + (f"; {p1['clustering_off']:.0f} events re-joined into one story" if p1["clustering_off"] else "")
              + f") -> {n:,} deliveries expected")
        print("   Discord stand-in (tests/support/discord) in this process, spec_path=None (no OpenAPI "
              "validation); discord.py client on this loop; SQLite (temp file)")
        print()
        print(f"{'concurrency':>11} {'routed':>7} {'route s':>8} {'sent':>6} {'wall s':>7} {'deliv/s':>8} "
              f"{'req/s':>7} {'requests':>9} {'messages':>9} {'threads':>8} {'channels ok':>12} {'dupes':>6}")
        for r in runs:
            dupes = max(0, r.messages - r.deliveries) + max(0, r.threads - r.deliveries)
            print(f"{r.concurrency:>11} {r.routed:>7,} {r.route_s:>8.1f} {r.deliveries:>6,} {r.wall_s:>7.1f} "
                  f"{r.deliveries / r.wall_s:>8.1f} {r.requests / r.wall_s:>7.1f} {r.requests:>9,} {r.messages:>9,} "
                  f"{r.threads:>8,} {r.channels_ok:>8}/{args.channels} {dupes:>6}")
        for r in runs:
            verdict = ("ok" if r.messages == r.threads == r.deliveries == n == r.db_sent == r.db_threads
                       and r.channels_ok == args.channels else "MISMATCH")
            print(f"   concurrency {r.concurrency}: {verdict}: stand-in {r.messages:,} messages, {r.threads:,} "
                  f"threads; "
                  f"database {r.db_sent:,} sent, {r.db_threads:,} with a thread; {r.passes} run_once passes; "
                  f"{r.violations} stand-in violations, {r.nonce_hits} nonce hits; requests: "
                  + ", ".join(f"{k} x{v:,}" for k, v in r.routes.most_common()))
        per = n * 2 / GLOBAL_LIMIT_PER_S
        print(f"   note: the stand-in does not enforce Discord's rate limits. In production the global limit of "
              f"{GLOBAL_LIMIT_PER_S} requests/s bounds this at {GLOBAL_LIMIT_PER_S / 2:.0f} deliveries/s: "
              f"{n:,} deliveries x 2 requests = {n * 2:,} requests >= {per:.0f} s ({per / 60:.1f} min); the "
              f"per-channel limit (~{CHANNEL_LIMIT[0]} messages / {CHANNEL_LIMIT[1]:.0f} s) does not bind here "
              f"({args.stories} briefings per channel), but would for a burst of more than 5 stories in one channel.")
    if asked:
        made = (f"analysed in {p2['analyse_s']:.0f} s ({p2['articles'] / p2['analyse_s']:.1f}/s)"
                + (", cached in .bench/ (--fresh to redo)" if p2.get("reused") else ", now cached in .bench/"))
        print()
        print(f"2. thread answers: {args.threads} stories of {args.articles} articles (different outlets' versions of "
              f"one event); {p2['articles']:.0f} articles {made}; clustering made {p2['stories_made']:.0f} stories "
              f"for {args.threads + 1} events"
              + (f", {p2['clustering_off']:.0f} events split or merged (then put in one story each)"
                 if p2["clustering_off"] else ", one per event") + f"; story sizes {p2['min_articles']:.0f}-"
              f"{p2['max_articles']:.0f} articles")
        print("   ThreadService.answer(guild, thread, question) after 3 untimed warm-up questions (another thread); "
              "3 questions per thread: a figure, an amount, and one the articles cannot answer (rotating order)")
        print()
        print(f"{'answer latency, ms':<42} {'calls':>5} {'p50':>7} {'p95':>7} {'max':>7} {'model p50':>10} "
              f"{'answered':>9} {'right':>6}")
        groups = [("all questions", asked),
                  ("first in a thread (10 articles indexed)", [a for a in asked if a.first]),
                  ("follow-ups (sentence index cached)", [a for a in asked if not a.first]),
                  ("answerable", [a for a in asked if a.expect is not None]),
                  ("unanswerable (should be refused)", [a for a in asked if a.expect is None])]
        for label, rows in groups:
            ms = [a.ms for a in rows]
            print(f"{label:<42} {len(ms):>5} {_pct(ms, 0.5):7.1f} {_pct(ms, 0.95):7.1f} {max(ms):7.1f} "
                  f"{_pct([a.model_ms for a in rows], 0.5):10.1f} {sum(a.answered for a in rows):>5}/{len(rows):<3} "
                  f"{sum(a.right for a in rows):>3}/{len(rows)}")
        print("   model = Answerer.run alone (in a worker thread); right = an answerable question answered with the "
              "expected figure in it, an unanswerable one refused")
        for a in [a for a in asked if not a.right][:8]:
            print(f"   not right: {a.question!r} (expected {a.expect or 'a refusal'}; "
                  f"{'answered' if a.answered else 'refused'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=500)
    parser.add_argument("--stories", type=int, default=4, choices=range(1, len(DELIVERY_EVENTS) + 1))
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[4, 16],
                        help="Deliverer concurrency values, comma-separated (the settings' default is 4)")
    parser.add_argument("--threads", type=int, default=20, choices=range(1, len(EVENTS)))
    parser.add_argument("--articles", type=int, default=10, choices=range(1, len(OUTLETS) + 1),
                        help="articles (outlets) per story in part 2")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="re-analyse part 2's articles (else cached in .bench/)")
    parser.add_argument("--skip-delivery", action="store_true")
    parser.add_argument("--skip-threads", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    sys.path.insert(0, str(REPO))  # tests.support.discord
    t0 = time.perf_counter()
    asyncio.run(run(args))
    print(f"\n(bench took {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
