"""Pipeline specs as data, and the runners that execute them (in process, or as SageMaker Pipelines later)."""
