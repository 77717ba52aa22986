"""The browser simulator (`python -m bot sim`): the real app, a stand-in LINE API and a
LINE-like chat page in one process. Nothing here is imported by `serve`."""
