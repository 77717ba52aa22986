"""Builds the parts every entry point shares (store, content, classifier, engine) from settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.content import Content, load_content
from bot.conversation import Conversations
from bot.dialogue.engine import Engine, Privacy
from bot.nlu.classifier import IntentClassifier
from bot.nlu.lexicon import Lexicon
from bot.nlu.safety import SafetyRules
from bot.nudge import Nudge, NudgeRules
from bot.nudge.model import RiskModel
from bot.store.db import Database


@dataclass
class Core:
    settings: Settings
    db: Database
    content: Content
    engine: Engine
    conversations: Conversations

    def close(self) -> None:
        self.db.dispose()


def build_classifier(content: Content, cache_dir: Path | None = None) -> IntentClassifier:
    return IntentClassifier(SafetyRules.from_content(content.safety),
                            Lexicon.from_content(content.understanding), content.examples,
                            cache_dir)  # fmt: skip


def build_nudge(settings: Settings, content: Content) -> Nudge:
    rules = NudgeRules.from_content(
        content.nudge, settings.morning_hour, settings.morning_min_gap_hours
    )
    model = RiskModel(content.drafts["risky"], content.drafts["light"],
                      cache_dir=settings.model_cache_dir)  # fmt: skip
    return Nudge(rules, settings.tz, model)


def privacy(settings: Settings) -> Privacy:
    """What the bot may truthfully say about what it keeps (「暗号化されてる?」)."""
    return Privacy(encrypted=settings.data_key is not None, draft_days=settings.draft_retention_days)


def build_engine(settings: Settings, content: Content, classifier: IntentClassifier) -> Engine:
    return Engine(content, classifier, build_nudge(settings, content), settings.model_cache_dir,
                  privacy(settings))  # fmt: skip


def build_core(settings: Settings, migrate: bool = True) -> Core:
    content = load_content(settings.content_dir)
    db = Database(settings.database_url, settings.data_key)
    if migrate:
        db.migrate()
    classifier = build_classifier(content, settings.model_cache_dir)
    engine = build_engine(settings, content, classifier)
    return Core(settings, db, content, engine, Conversations(db, engine))
