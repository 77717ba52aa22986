"""The dialogue engine: pure `(state, message, now) -> (state, replies, effects)`, no LINE, no HTTP."""
