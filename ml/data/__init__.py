"""Reading data files against the data contract, and preparing the sample splits."""
