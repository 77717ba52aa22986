"""Natural-language understanding: normalise, safety rules first, then the trained model."""

from bot.nlu.types import Prediction

__all__ = ["Prediction"]
