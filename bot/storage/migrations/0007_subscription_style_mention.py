"""Per subscription: the message style (card, compact, plain) and a role to ping on each new story."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0006_analysis_claims")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Subscription",
            name="style",
            field=fields.CharField(max_length=16, default="card", description="card, compact or plain"),
        ),
        ops.AddField(
            model_name="Subscription",
            name="mention_role_id",
            field=fields.BigIntField(null=True, description="the role pinged on each new story"),
        ),
    ]
