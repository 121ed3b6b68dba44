"""Database models (tortoise-orm). Times are timezone-aware UTC.

The schema covers the whole flow (source -> article -> analysis -> story -> delivery) so
later features add columns, not rewrites. Discord ids are 64-bit integers; ``guild_id``
0 means "added from the command line", not tied to a Discord server.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

# Each model sets ``_no_comments``: this file has no ``#:`` field comments, and without it tortoise
# reads and parses this file's source once per model at import, 0.2 s of every command's start.


class Source(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField(default=0, db_index=True)
    url = fields.CharField(max_length=2048)
    url_key = fields.CharField(max_length=64, description="sha256 of the normalised URL")
    kind = fields.CharField(max_length=16, default="unknown", description="feed, page or unknown")
    title = fields.CharField(max_length=512, null=True)
    site_url = fields.CharField(max_length=2048, null=True)
    interval_s = fields.IntField(default=600)
    etag = fields.CharField(max_length=512, null=True)
    last_modified = fields.CharField(max_length=128, null=True)
    next_poll_at = fields.DatetimeField(null=True, db_index=True)
    claimed_by = fields.IntField(null=True, description="the worker polling it now (its claim)")
    last_polled_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    last_error_at = fields.DatetimeField(null=True)
    failure_count = fields.IntField(default=0)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.TextField(null=True)
    disabled_notified_at = fields.DatetimeField(null=True)
    primed = fields.BooleanField(default=False, description="first poll done (backfill suppressed)")
    scheduled = fields.BooleanField(default=True, description="False for one-off `briefbot ingest` inputs")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sources"
        unique_together = (("guild_id", "url_key"),)


class Story(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=512)
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField(db_index=True)
    sources_count = fields.IntField(default=1)
    articles_count = fields.IntField(default=1)
    briefing = fields.TextField(null=True)
    centroid = fields.BinaryField(null=True)
    actor_counts = fields.JSONField(default=dict, description="canonical actor name -> mentions in members")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "stories"


class StoryBriefing(Model):
    """A story's briefing written by the configured language model across its outlets, as one guild
    sees it (its own sources' articles only), kept when it passed the grounding check; ``sentences``
    is empty when it did not, and ``dropped`` says why (shown by `/why`)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation[Story] = fields.ForeignKeyField(
        "models.Story", related_name="llm_briefings", on_delete=fields.CASCADE
    )
    guild_id = fields.BigIntField()
    articles = fields.JSONField(default=list, description="the article ids it was written from, sorted")
    sentences = fields.JSONField(default=list, description="[{text, cites: [[article id, start, end], ...]}]")
    model = fields.CharField(max_length=256, description="the model that wrote it, or offline")
    dropped = fields.JSONField(default=list, description="why sentences or the whole briefing were not used")
    rev = fields.IntField(default=1, description="bumped on each rewrite: posted briefings showing less are edited")
    pending_edit = fields.BooleanField(default=True, db_index=True)
    story_seen_at = fields.DatetimeField(description="the story's last_seen_at when it was last looked at")
    written_at = fields.DatetimeField()

    class Meta:
        table = "story_briefings"
        unique_together = (("story", "guild_id"),)


class Article(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    source: fields.ForeignKeyRelation[Source] = fields.ForeignKeyField(
        "models.Source", related_name="articles", on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2048)
    url_key = fields.CharField(max_length=64, unique=True, description="sha256 of the normalised URL")
    canonical_url = fields.CharField(max_length=2048, null=True)
    guid = fields.CharField(max_length=1024, null=True)
    content_hash = fields.CharField(max_length=64, db_index=True)
    title = fields.CharField(max_length=1024, null=True)
    author = fields.CharField(max_length=512, null=True)
    published_at = fields.DatetimeField(null=True, db_index=True)
    language = fields.CharField(max_length=16, null=True)
    text = fields.TextField()
    extraction = fields.CharField(max_length=16, description="page, feed-content, feed-summary or file")
    fetched_at = fields.DatetimeField(db_index=True)
    deliverable = fields.BooleanField(default=True, description="False for items stored on a source's first run")
    # Analysis (filled by the summarizer stage)
    summary = fields.TextField(null=True)
    summary_method = fields.CharField(max_length=16, null=True)
    embedding = fields.BinaryField(null=True)
    analyzed_at = fields.DatetimeField(null=True, db_index=True)
    analysis_error = fields.TextField(null=True)
    claimed_at = fields.DatetimeField(null=True, description="when an analyser claimed it (stale after a while)")
    claim_token = fields.CharField(max_length=32, null=True, description="which analyser's claim")
    story: fields.ForeignKeyNullableRelation[Story] = fields.ForeignKeyField(
        "models.Story", related_name="articles", null=True, on_delete=fields.SET_NULL
    )
    routed_at = fields.DatetimeField(null=True, db_index=True, description="matched to subscriptions")

    class Meta:
        table = "articles"


class ArticleSighting(Model):
    """Each (source, item) that led to an article, for dedupe by GUID per source and guild scoping."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    source: fields.ForeignKeyRelation[Source] = fields.ForeignKeyField(
        "models.Source", related_name="sightings", on_delete=fields.CASCADE
    )
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="sightings", on_delete=fields.CASCADE
    )
    item_key = fields.CharField(max_length=64, description="sha256 of the item's GUID or link")
    seen_at = fields.DatetimeField()

    class Meta:
        table = "article_sightings"
        unique_together = (("source", "item_key"),)


class PipelineEvent(Model):
    """What each stage decided about a URL, so `/why` can replay an article's path."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    url_key = fields.CharField(max_length=64, db_index=True)
    url = fields.CharField(max_length=2048)
    source: fields.ForeignKeyNullableRelation[Source] = fields.ForeignKeyField(
        "models.Source", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    article: fields.ForeignKeyNullableRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    stage = fields.CharField(max_length=32)
    outcome = fields.CharField(max_length=32)
    detail = fields.TextField(default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pipeline_events"


class Actor(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=256)
    type = fields.CharField(max_length=16, description="PERSON, ORG, GPE, ...")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "actors"
        unique_together = (("name", "type"),)


class ActorAlias(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="aliases", on_delete=fields.CASCADE
    )
    alias = fields.CharField(max_length=256)
    alias_key = fields.CharField(max_length=256, db_index=True, description="casefolded alias")

    class Meta:
        table = "actor_aliases"
        unique_together = (("actor", "alias_key"),)


class Mention(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="mentions", on_delete=fields.CASCADE
    )
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="mentions", on_delete=fields.CASCADE
    )
    start = fields.IntField()
    end = fields.IntField()
    published_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "mentions"


class Statement(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="statements", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyNullableRelation[Actor] = fields.ForeignKeyField(
        "models.Actor", related_name="statements", null=True, on_delete=fields.SET_NULL
    )
    speaker = fields.CharField(max_length=256, null=True)
    cue = fields.CharField(max_length=64, null=True)
    text = fields.TextField()
    start = fields.IntField()
    end = fields.IntField()
    kind = fields.CharField(max_length=16, description="direct, indirect or mixed")
    published_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "statements"


class Subscription(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField(db_index=True)
    channel_id = fields.BigIntField(db_index=True)
    topic = fields.CharField(max_length=256)
    keywords = fields.JSONField(default=list)
    mode = fields.CharField(max_length=16, default="realtime", description="realtime, hourly or daily")
    time_of_day = fields.CharField(max_length=5, null=True, description="HH:MM for daily digests")
    timezone = fields.CharField(max_length=64, default="UTC")
    min_sources = fields.IntField(default=1)
    cap_per_hour = fields.IntField(default=10)
    paused_reason = fields.TextField(null=True)
    paused_at = fields.DatetimeField(null=True)
    style = fields.CharField(max_length=16, default="card", description="card, compact or plain")
    mention_role_id = fields.BigIntField(null=True, description="the role pinged on each new story")
    created_by = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "subscriptions"
        unique_together = (("channel_id", "topic"),)


class Delivery(Model):
    """The outbox: one row per (story, channel), sent only with a Discord message id."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    story: fields.ForeignKeyRelation[Story] = fields.ForeignKeyField(
        "models.Story", related_name="deliveries", on_delete=fields.CASCADE
    )
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="deliveries", null=True, on_delete=fields.SET_NULL
    )
    guild_id = fields.BigIntField(db_index=True)
    channel_id = fields.BigIntField(db_index=True)
    idempotency_key = fields.CharField(max_length=128, unique=True)
    # pending, sending, sent, digest (waits for its digest), dropped
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    due_at = fields.DatetimeField(null=True, db_index=True, description="when it may be sent")
    digest_key = fields.CharField(max_length=64, null=True, description="the digest it went out in")
    reason = fields.TextField(null=True, description="why it was posted (topic score, actors)")
    message_id = fields.BigIntField(null=True)
    thread_id = fields.BigIntField(null=True, db_index=True)
    sources_count = fields.IntField(default=0)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    briefing_rev = fields.IntField(default=0, description="the model-written briefing's revision it shows (0: none)")

    class Meta:
        table = "deliveries"


class DeliveryUpdate(Model):
    """A story gained a source after its briefing was posted: edit the briefing, post in its thread."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[Delivery] = fields.ForeignKeyField(
        "models.Delivery", related_name="updates", on_delete=fields.CASCADE
    )
    article: fields.ForeignKeyRelation[Article] = fields.ForeignKeyField(
        "models.Article", related_name="updates", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    message_id = fields.BigIntField(null=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery_updates"
        unique_together = (("delivery", "article"),)


class Notice(Model):
    """A one-time message to a guild (a paused channel, a disabled source), sent through the outbox."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=128, unique=True, description="what it is about, so it is said once")
    guild_id = fields.BigIntField(db_index=True)
    channel_id = fields.BigIntField(null=True, description="where to say it, null for the guild's system channel")
    text = fields.TextField()
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    message_id = fields.BigIntField(null=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notices"


class ThreadTurn(Model):
    _no_comments = True
    id = fields.IntField(primary_key=True)
    guild_id = fields.BigIntField()
    thread_id = fields.BigIntField(db_index=True)
    question = fields.TextField()
    answer = fields.TextField()
    citations = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "thread_turns"


class Worker(Model):
    """A `briefbot run` process: its roles and heartbeat (`briefbot status` lists them)."""
    _no_comments = True

    id = fields.IntField(primary_key=True)
    host = fields.CharField(max_length=255)
    pid = fields.IntField()
    roles = fields.CharField(max_length=64, description="gateway,poll,analyse,deliver")
    started_at = fields.DatetimeField()
    heartbeat_at = fields.DatetimeField(db_index=True)
    stopped_at = fields.DatetimeField(null=True)
    done = fields.JSONField(default=dict, description="role -> jobs done")

    class Meta:
        table = "workers"


class RateBudget(Model):
    """A request pace shared by every process on the database (bot/delivery/pace.py)."""
    _no_comments = True

    name = fields.CharField(max_length=32, primary_key=True)
    next_at = fields.FloatField(description="epoch seconds of the next free slot, on the database's clock")

    class Meta:
        table = "rate_budgets"
