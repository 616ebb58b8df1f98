"""The model's version: bumped whenever any result of the model changes."""

MODEL_VERSION = "3.1"
