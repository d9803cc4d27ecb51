"""Hostile-input suites: hypothesis properties with a small fixed budget in ``make test``
and a larger one for long runs (``APIDOUBLE_FUZZ_EXAMPLES``, see ``budget.py``)."""
