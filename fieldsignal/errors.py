"""Errors the interfaces turn into one-line messages."""


class FieldsignalError(Exception):
    """Base class: the message is meant for the user, as is."""


class InputError(FieldsignalError):
    """An input (text, file, row) that cannot be used; nothing was stored for it."""


class TaxonomyError(FieldsignalError):
    """The taxonomy file is invalid."""


class StoreBusyError(FieldsignalError):
    """Another process holds the workspace database for writing."""


class NotFoundError(FieldsignalError):
    """A signal, note or draft id that does not exist."""
