"""Prometheus metrics: what an operator watches at 1 a.m. when the bot spikes."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("hitoban_events_total", "Webhook events received, by type", ["type"])
DUPLICATES = Counter("hitoban_duplicate_events_total", "Events dropped as already handled")
SKIPPED = Counter(
    "hitoban_events_skipped_total", "Webhook events accepted (200) but not acted on, by reason",
    ["reason"],
)  # fmt: skip
UNSENT = Counter(
    "hitoban_unsent_total", "Unsent messages, by whether the bot kept their text", ["result"]
)
LATE_ANSWERS = Counter(
    "hitoban_late_answers_total",
    "Answers whose reply token no longer worked, by kind and what became of them",
    ["kind", "result"],
)
WEBHOOK_REQUESTS = Counter(
    "hitoban_webhook_requests_total", "POST /callback requests, by HTTP status", ["status"]
)
SENT = Counter("hitoban_messages_sent_total", "Reply/push calls accepted by LINE", ["kind"])
SEND_FAILED = Counter(
    "hitoban_messages_failed_total", "Reply/push calls that failed, by reason", ["kind", "reason"]
)
HANDLING = Histogram(
    "hitoban_event_handling_seconds",
    "From webhook receipt to reply accepted by LINE",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
INTENTS = Counter("hitoban_intents_total", "Classified messages, by intent", ["intent"])
REMINDERS = Counter("hitoban_reminders_total", "Reminder dispatch outcomes", ["outcome"])
NUDGES = Counter("hitoban_nudges_total", "Drafts the bot offered to hold overnight")
# The channel's monthly push quota, as LINE's quota endpoints last said. Every worker of
# `serve --workers` reads the same channel-wide figures, so across workers they add up as
# the largest of the live ones (livemax), never as a sum that would count the channel twice.
PUSH_QUOTA_LIMIT = Gauge(
    "hitoban_push_quota_limit", "Pushes this month the channel's plan allows (+Inf: no limit)",
    multiprocess_mode="livemax",
)  # fmt: skip
PUSH_QUOTA_USED = Gauge(
    "hitoban_push_quota_used", "Pushes counted against this month's quota",
    multiprocess_mode="livemax",
)  # fmt: skip
