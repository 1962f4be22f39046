"""Domain operations: the rules, permissions, transactions and events. No GraphQL here."""
