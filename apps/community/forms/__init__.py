"""Community forms, one module per area."""
