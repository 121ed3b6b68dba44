"""The registry of `briefbot run` processes, for `briefbot status`."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0008_story_briefings")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Worker",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("host", fields.CharField(max_length=255)),
                ("pid", fields.IntField()),
                ("roles", fields.CharField(max_length=64, description="gateway,poll,analyse,deliver")),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("heartbeat_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("stopped_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("done", fields.JSONField(default=dict, description="role -> jobs done")),
            ],
            options={"table": "workers", "app": "models", "pk_attr": "id",
                     "table_description": "A `briefbot run` process: its roles and heartbeat (`briefbot status` "
                                          "lists them)."},
            bases=["Model"],
        ),
    ]
