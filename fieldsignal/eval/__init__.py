"""Evaluation, kept apart from unit tests: metrics, the runner, labelled data sets."""
