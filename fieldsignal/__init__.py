"""fieldsignal: turn scattered field feedback into decisions."""

__version__ = "0.1.0"
