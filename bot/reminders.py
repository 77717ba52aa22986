"""What a due reminder says: the held draft given back word for word, or a check-in."""

from __future__ import annotations

from bot.content import Content, require_phrases
from bot.dialogue.types import Choice, Reply, Text
from bot.store.repo import DueReminder

require_phrases("reminder_intro", "reminder_intro_later", "reminder_reread", "reminder_sent", "reminder_rewrite",
                "reminder_dropped")  # fmt: skip


MORNING = range(4, 11)  # local hours when a held draft comes back with 「おはよう」


def compose(content: Content, due: DueReminder, local_hour: int | None = None,
            ) -> tuple[list[Reply], list[Choice]]:  # fmt: skip
    """The push for a due reminder. `local_hour`: the user's hour now (a draft held till 18:00
    is not greeted with おはよう); None when unknown (the morning greeting, the usual case)."""
    if due.kind == "draft" and due.draft_text is not None:
        p = content.phrase
        later = local_hour is not None and local_hour not in MORNING
        # 「書き直す」 opens the keyboard with the draft in it (render drops it over LINE's 300)
        choices = [
            Choice(label=p(key), data=f"outcome:{due.draft_id}:{value}", display_text=p(key),
                   fill_in_text=due.draft_text if value == "rewrite" else None)
            for key, value in (("reminder_sent", "sent"), ("reminder_rewrite", "rewrite"),
                               ("reminder_dropped", "dropped"))
        ]  # fmt: skip
        intro, reread = due.around
        return [
            Text(p("reminder_intro_later") if later else intro or p("reminder_intro")),
            Text(due.draft_text, quote_token=due.quote_token),  # above it: what they wrote
            Text(reread or p("reminder_reread")),
        ], choices
    return [Text(due.message or content.phrase("thanks"))], []
