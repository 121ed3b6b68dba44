"""Analysis claims: an analyser takes an article with a conditional update of ``claimed_at`` and
``claim_token`` before analysing it, so two processes on one database never analyse it twice."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0005_read_indexes")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Article",
            name="claimed_at",
            field=fields.DatetimeField(null=True, description="when an analyser claimed it (stale after a while)"),
        ),
        ops.AddField(
            model_name="Article",
            name="claim_token",
            field=fields.CharField(null=True, max_length=32, description="which analyser's claim"),
        ),
    ]
