"""The draft nudge: should this message to the ex wait a night, and why (in the user's words)."""

from bot.nudge.review import Nudge, NudgeRules, Verdict, morning_after

__all__ = ["Nudge", "NudgeRules", "Verdict", "morning_after"]
