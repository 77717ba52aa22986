"""Reloading content/ into the running bot: a content editor's change shows in the next
message, and a broken change leaves the last good content answering, its problems listed."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.content import ContentError, load_content
from bot.content_check import content_warnings, summary
from bot.wiring import Core, build_classifier, build_engine


@dataclass
class ContentReport:
    ok: bool
    summary: str = ""
    problems: list[str] = field(default_factory=list)  # errors: the reload was refused
    warnings: list[str] = field(default_factory=list)


def check(core: Core) -> ContentReport:
    """The report for the content the bot is answering with now."""
    return ContentReport(True, summary(core.content), warnings=content_warnings(core.content))


def reload(core: Core) -> ContentReport:
    """Load content/ again and swap it in; on errors keep the old content (blocking: run it
    in a thread, the models may be trained again)."""
    settings = core.settings
    try:
        content = load_content(settings.content_dir)
        classifier = build_classifier(content, settings.model_cache_dir)
        engine = build_engine(settings, content, classifier)
    except ContentError as exc:
        return ContentReport(False, problems=list(exc.problems))
    core.content, core.engine = content, engine
    core.conversations.engine = engine
    return ContentReport(True, summary(content), warnings=content_warnings(content))
