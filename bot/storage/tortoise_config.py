"""Config object for tortoise's own CLI, used by developers to write migrations:

    .venv/bin/python -m tortoise -c bot.storage.tortoise_config.TORTOISE_ORM makemigrations

Nothing in the application imports this module.
"""

from bot.settings import Settings
from bot.storage.db import tortoise_config

TORTOISE_ORM = tortoise_config(Settings().resolved_database_url)
