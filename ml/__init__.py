"""GitOps MLOps platform: train, approve, score, monitor and retrain models declared in git."""

__version__ = "0.1.0"
