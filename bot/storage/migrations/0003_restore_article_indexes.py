"""Restore the article indexes that 0002 lost on SQLite.

0002's AlterField rebuilt the SQLite `articles` table (SQLite cannot alter a column in place) and
the rebuild dropped the table's other indexes, so content-hash dedupe scanned the whole table.
PostgreSQL kept them: the names below are the ones it has, so there this is a no-op.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = {
    "idx_articles_content_53f793": "content_hash",
    "idx_articles_publish_d5516c": "published_at",
    "idx_articles_fetched_9f05cb": "fetched_at",
    "idx_articles_analyze_383f05": "analyzed_at",
}


class Migration(migrations.Migration):
    dependencies = [("models", "0002_analysis")]

    initial = False

    operations = [
        ops.RunSQL(
            [f'CREATE INDEX IF NOT EXISTS "{name}" ON "articles" ("{column}")' for name, column in INDEXES.items()],
            reverse_sql=[],
        ),
    ]
