"""Load time: do a response's Mockoon templates compile here?

Served responses are compiled after the whole config loads, where one template that
does not compile stops every stub; a Mockoon environment is served as it is, so each
response is checked while converting, and one whose templates use what is not there yet
(a helper, a faker name) is left out with a problem instead. The compiled template stays
cached for the compile that follows (``check_handlebars``).
"""

from __future__ import annotations

from collections.abc import Iterable

TEMPLATING = "mockoon"
"""The native ``templating`` of every converted response (``none`` where Mockoon's
``disableTemplating`` is set)."""


BUCKETS_DATASET = "mockoon"
"""How a converted document's ``data:`` set that reads its environment file is named
(``mockoon:<environment uuid>``): the data helpers (``data``, ``dataRaw``, ``setData``)
find the buckets in the ``data`` list of every such set."""


class TemplateProblem(ValueError):
    """A template of the response does not compile with Mockoon's helper set here."""


def check_templates(texts: Iterable[str]) -> None:
    """``TemplateProblem`` for the first text that holds ``{{`` and does not compile."""
    from apidouble.templating.handlebars import (
        MOCKOON_HELPERS,
        check_faker_names,
        check_handlebars,
    )

    for text in texts:
        if "{{" not in text:
            continue
        try:
            check_faker_names(text)
            check_handlebars(text, MOCKOON_HELPERS)
        except ValueError as exc:
            raise TemplateProblem(str(exc)) from None
