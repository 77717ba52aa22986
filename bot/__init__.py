"""Hitoban (一晩): a LINE companion for the hardest hour of a breakup."""

__version__ = "0.1.0"
