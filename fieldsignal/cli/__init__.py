"""The `fieldsignal` command: a thin Typer layer over fieldsignal.workspace, one module per command group."""

from fieldsignal.cli.app import app, main

__all__ = ["app", "main"]
