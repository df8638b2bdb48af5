"""The `mlops` commands, one module per area; `ml.cli` assembles them into one group."""
