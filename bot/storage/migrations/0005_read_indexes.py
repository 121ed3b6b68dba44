"""Indexes for the read commands (/brief, /actor, /statements, autocomplete) at scale.

Tortoise indexes no foreign key, so at 100,000 articles every guild-scoped read scanned a table:
an actor's mentions and statements, a story's articles, an article's sightings. The benchmark
`python -m bench.commands` measures the commands on such a database.

* ``mentions (actor_id, published_at)``, ``statements (actor_id, published_at)``: an actor's recent
  mentions and latest statements;
* ``mentions (article_id, actor_id)``: the actors of given articles (co-actors), covering;
* ``statements (article_id)``: the statements of given articles (a story's strongest statement);
* ``articles (story_id)``: a story's articles;
* ``article_sightings (source_id, article_id)``: the articles a guild's sources found (the guild
  scope of every read, ``bot.services.scope.visible_article_ids``), covering, so the scope is read
  from the index alone; ``article_sightings (article_id, source_id)``: which sources found given
  articles.

The same SQL works on SQLite and PostgreSQL. A later migration that rebuilds one of these tables on
SQLite (an AlterField) drops its indexes, as 0002 did to ``articles``: it must create them again.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = {
    "idx_mentions_actor_published": ("mentions", ("actor_id", "published_at")),
    "idx_mentions_article_actor": ("mentions", ("article_id", "actor_id")),
    "idx_statements_actor_published": ("statements", ("actor_id", "published_at")),
    "idx_statements_article": ("statements", ("article_id",)),
    "idx_articles_story": ("articles", ("story_id",)),
    "idx_sightings_source_article": ("article_sightings", ("source_id", "article_id")),
    "idx_sightings_article_source": ("article_sightings", ("article_id", "source_id")),
}


def _create(name: str, table: str, columns: tuple[str, ...]) -> str:
    quoted = ", ".join(f'"{column}"' for column in columns)
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({quoted})'


class Migration(migrations.Migration):
    dependencies = [("models", "0004_delivery")]

    initial = False

    operations = [
        ops.RunSQL(
            [_create(name, table, columns) for name, (table, columns) in INDEXES.items()],
            reverse_sql=[f'DROP INDEX IF EXISTS "{name}"' for name in INDEXES],
        ),
    ]
