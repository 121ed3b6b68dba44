from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_restore_article_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeliveryUpdate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('models.Delivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.CASCADE)),
                ('article', fields.ForeignKeyField('models.Article', source_field='article_id', db_constraint=True, to_field='id', related_name='updates', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('message_id', fields.BigIntField(null=True)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'delivery_updates', 'app': 'models', 'unique_together': (('delivery', 'article'),), 'pk_attr': 'id', 'table_description': 'A story gained a source after its briefing was posted: edit the briefing, post in its thread.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, description='what it is about, so it is said once', max_length=128)),
                ('guild_id', fields.BigIntField(db_index=True)),
                ('channel_id', fields.BigIntField(null=True, description="where to say it, null for the guild's system channel")),
                ('text', fields.TextField(unique=False)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('message_id', fields.BigIntField(null=True)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notices', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time message to a guild (a paused channel, a disabled source), sent through the outbox.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Article',
            name='routed_at',
            field=fields.DatetimeField(null=True, db_index=True, description='matched to subscriptions', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Delivery',
            name='digest_key',
            field=fields.CharField(null=True, description='the digest it went out in', max_length=64),
        ),
        ops.AddField(
            model_name='Delivery',
            name='due_at',
            field=fields.DatetimeField(null=True, db_index=True, description='when it may be sent', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Subscription',
            name='created_by',
            field=fields.BigIntField(default=0),
        ),
    ]
