"""Data-quality baseline and check, in SageMaker Model Monitor's file formats."""
