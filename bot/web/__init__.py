"""The FastAPI application: webhook, health and metrics."""
