"""Mail: an outbox in the database, plain-text templates, and a background sender."""
