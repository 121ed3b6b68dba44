"""One pace of requests to Discord for every process of the bot (its global limit is per token)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0010_claim_owners")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RateBudget",
            fields=[
                ("name", fields.CharField(max_length=32, primary_key=True)),
                ("next_at", fields.FloatField(
                    description="epoch seconds of the next free slot, on the database's clock")),
            ],
            options={"table": "rate_budgets", "app": "models", "pk_attr": "name",
                     "table_description": "A request pace shared by every process on the database "
                                          "(bot/delivery/pace.py)."},
            bases=["Model"],
        ),
    ]
