"""The engine's actions by concern; the transition table (`table.py`) names them."""
