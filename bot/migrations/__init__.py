"""Alembic migrations. HEAD names the newest revision, so a start against an up-to-date
database can skip importing Alembic (a tenth of the cold start); a test keeps it true."""

HEAD = "0005"
