"""Story briefings written by a language model, per story and guild, and the revision each posted
briefing shows (so a rewrite edits it in place)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0007_subscription_style_mention")]

    initial = False

    operations = [
        ops.CreateModel(
            name="StoryBriefing",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("story", fields.ForeignKeyField("models.Story", source_field="story_id", db_constraint=True,
                                                 to_field="id", related_name="llm_briefings",
                                                 on_delete=OnDelete.CASCADE)),
                ("guild_id", fields.BigIntField()),
                ("articles", fields.JSONField(default=list, description="the article ids it was written from, sorted")),
                ("sentences", fields.JSONField(default=list,
                                               description="[{text, cites: [[article id, start, end], ...]}]")),
                ("model", fields.CharField(max_length=256, description="the model that wrote it, or offline")),
                ("dropped", fields.JSONField(default=list,
                                             description="why sentences or the whole briefing were not used")),
                ("rev", fields.IntField(default=1, description="bumped on each rewrite: posted briefings showing "
                                                               "less are edited")),
                ("pending_edit", fields.BooleanField(default=True, db_index=True)),
                ("story_seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False,
                                                       description="the story's last_seen_at when it was last "
                                                                   "looked at")),
                ("written_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "story_briefings", "app": "models", "unique_together": (("story", "guild_id"),),
                     "pk_attr": "id", "table_description": "A story's briefing written by the configured language "
                                                           "model across its outlets, as one guild"},
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Delivery",
            name="briefing_rev",
            field=fields.IntField(default=0, description="the model-written briefing's revision it shows (0: none)"),
        ),
    ]
