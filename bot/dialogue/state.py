"""Per-user conversation state, persisted as JSON. Unknown keys are ignored and missing keys
take defaults, so a state written by an older version still loads after an upgrade."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DialogueState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    turn: int = 0  # messages handled; rotates phrase variants

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, raw: str | None) -> DialogueState:
        if not raw:
            return cls()
        try:
            return cls.model_validate_json(raw)
        except ValueError:
            return cls()
