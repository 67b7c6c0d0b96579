"""Storage: the SQLite database, its numbered migrations, and every SQL statement of the bot."""
