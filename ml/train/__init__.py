"""The train pipeline's pure steps (preprocess, train, evaluate, gate) and its declared spec."""
