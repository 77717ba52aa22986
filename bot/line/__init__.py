"""Everything that speaks LINE: rendering replies as SDK models, and the Messaging API calls."""
