"""The web UI and JSON API: FastAPI, server-rendered Jinja2 pages with a little htmx, logins.

It only calls `campaign`, `store`, `dialog` and `doctor`, like the CLI.
"""

from dozvon.web.app import create_app

__all__ = ["create_app"]
