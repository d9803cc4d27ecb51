"""Other tools' stub formats, read into (and written back from) apidouble's ``Stub``s."""
