"""Use cases. They take ids, plain values, the actor and `today`; they flush, never commit."""
