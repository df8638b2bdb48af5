"""The inference pipeline: resolve the approved model, check the batch against its baseline, score it."""
