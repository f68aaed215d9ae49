"""`dozvon init`'s pure half: a clinic's answers become a commented config and a secrets template.

Kept apart from the prompts so every MIS kind can be rendered and loaded in tests without a
terminal. Secrets are never asked for: the config only names environment variables, and
`secrets.env` lists them with empty values for the admin to fill in.
"""

from dozvon.config.starter.answers import Answers, Question
from dozvon.config.starter.mis_kinds import MIS_KINDS, MisKind
from dozvon.config.starter.render import Starter, render

__all__ = ["MIS_KINDS", "Answers", "MisKind", "Question", "Starter", "render"]
