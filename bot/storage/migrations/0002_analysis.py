from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Article',
            name='analyzed_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Article',
            name='analysis_error',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Article',
            name='summary_method',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Story',
            name='actor_counts',
            field=fields.JSONField(default=dict, description='canonical actor name -> mentions in members', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Story',
            name='articles_count',
            field=fields.IntField(default=1),
        ),
    ]
