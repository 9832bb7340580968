"""The embedded default: SQLite under var/, filesystem broker, console email."""

from portal.settings.base import *  # noqa: F401,F403
