"""Poll claims name their worker (``sources.claimed_by``), so that the polls a killed worker held
are handed on as soon as it is seen gone, not when the claims expire. (Analysis claims name theirs
in ``claim_token``.)"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0009_workers")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Source",
            name="claimed_by",
            field=fields.IntField(null=True, description="the worker polling it now (its claim)"),
        ),
    ]
