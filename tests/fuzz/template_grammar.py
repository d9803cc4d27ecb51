"""Template sources from a grammar of each syntax (Jinja2 as the sandbox accepts it, and
WireMock's Handlebars), interleaved with random text and broken on purpose now and
then (an unclosed tag, a stray brace).

Loops and repetitions draw small numbers only: templates that loop ``10**10`` times
are stopped by the render time budget (``templating/limits.py``), and have their own
tests in ``test_templates.py`` (in a child process, which the suite can stop).
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["ESCAPES", "HANDLEBARS_ESCAPES", "handlebars_sources", "jinja_sources"]

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10)
SMALL = st.integers(-3, 20).map(str)
STRING = TEXT.map(repr)

# --- Jinja2 ----------------------------------------------------------------------------

JINJA_NAMES = [
    "request.path",
    "request.method",
    "request.body",
    "request.json",
    "request.json.a",
    "request.json['a']",
    "request.query.q",
    "request.query_all",
    "request.headers",
    "request.headers['x-a']",
    "request.params.id",
    "request.cookies",
    "request.form",
    "now",
    "uuid",
    "timestamp",
    "date",
    "data",
    "faker.name()",
    "random_int(1, 5)",
    "random_string(3)",
    "range(3)",
    "jsonpath(request.json, '$.a')",
    "jsonpath(request.body, '$..*')",
    "missing_name",
    "loop",
    "x",
]
FILTERS = [
    "upper",
    "lower",
    "length",
    "tojson",
    "int",
    "float",
    "string",
    "first",
    "last",
    "list",
    "sort",
    "unique",
    "reverse",
    "trim",
    "title",
    "b64encode",
    "b64decode",
    "fromjson",
    "urlencode",
    "sum",
    "md5",
    "default('d')",
    "join(',')",
    "replace('a', 'b')",
    "truncate(3)",
    "round(2)",
    "format(1)",
    "center(5)",
    "indent(2)",
    "batch(2)",
    "wordwrap(3)",
    "map('upper')",
    "attr('x')",
]
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "~", "and", "or", "==", "!=", "<", "in"]


def _jinja_expression() -> st.SearchStrategy[str]:
    atom = st.one_of(st.sampled_from(JINJA_NAMES), SMALL, STRING, st.just("[1, 'a', none]"))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(OPERATORS), inner).map(" ".join),
            st.tuples(inner, st.sampled_from(FILTERS)).map(lambda t: f"{t[0]} | {t[1]}"),
            inner.map(lambda e: f"not {e}"),
            inner.map(lambda e: f"({e})"),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} if {t[1]} else {t[2]}"),
            st.tuples(inner, st.sampled_from(["[0]", "[-1]", "['a']", ".a", "[1:]"])).map("".join),
        )

    return st.recursive(atom, extend, max_leaves=6)


def _jinja_block(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    expression = _jinja_expression()
    return st.one_of(
        st.tuples(expression, inner).map(lambda t: f"{{% if {t[0]} %}}{t[1]}{{% endif %}}"),
        st.tuples(expression, inner, inner).map(
            lambda t: f"{{% if {t[0]} %}}{t[1]}{{% else %}}{t[2]}{{% endif %}}"
        ),
        st.tuples(expression, inner).map(
            lambda t: f"{{% for x in {t[0]} %}}{t[1]}{{{{ loop.index }}}}{{% endfor %}}"
        ),
        st.tuples(expression, inner).map(lambda t: f"{{% set x = {t[0]} %}}{t[1]}"),
        inner.map(lambda body: f"{{% raw %}}{body}{{% endraw %}}"),
        inner.map(lambda body: f"{{% filter upper %}}{body}{{% endfilter %}}"),
    )


def _joined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(inner, max_size=3).map("".join)


def jinja_sources() -> st.SearchStrategy[str]:
    """Jinja2 sources: text, ``{{ }}``, ``{% %}`` blocks and comments, nested a little,
    sometimes broken (a tag cut short, an end tag missing, a lone brace)."""
    piece = st.one_of(
        TEXT,
        _jinja_expression().map(lambda e: "{{ " + e + " }}"),
        TEXT.map(lambda t: "{# " + t + " #}"),
    )
    whole = st.recursive(piece, lambda inner: _jinja_block(inner) | _joined(inner), max_leaves=8)
    broken = st.tuples(
        whole, st.sampled_from(["{{", "}}", "{%", "%}", "{% endif %}", "{#", "{{ x"])
    )
    return st.one_of(whole, whole, whole, broken.map("".join), st.text(max_size=30))


# --- Handlebars ---------------------------------------------------------------------------

HB_VALUES = [
    "request.path",
    "request.method",
    "request.body",
    "request.url",
    "request.query.q",
    "request.headers.x-a",
    "request.pathSegments.[0]",
    "request.cookies",
    "this",
    "@index",
    "@key",
    "../request.path",
    "missing",
    "'text'",
    "3",
    "true",
]
HB_HELPERS = [
    "upper",
    "lower",
    "capitalize",
    "trim",
    "size",
    "base64",
    "urlEncode",
    "slugify",
    "toJson",
    "parseJson",
    "formatJson",
    "stripTags",
    "defaultIfEmpty",
    "abbreviate",
    "numberFormat",
    "substring",
    "math",
    "eq",
    "not",
    "contains",
    "join",
    "jsonPath",
    "lookup",
    "randomValue length=3",
    "randomInt lower=1 upper=3",
    "now format='yyyy'",
    "date",
    "parseDate",
    "array",
    "range",
    "val",
    "nohelper",
]


def _hb_expression() -> st.SearchStrategy[str]:
    value = st.one_of(st.sampled_from(HB_VALUES), SMALL, TEXT.map(lambda t: repr(t)))
    call = st.tuples(st.sampled_from(HB_HELPERS), st.lists(value, max_size=3)).map(
        lambda t: " ".join([t[0], *t[1]])
    )
    return st.one_of(value, call, call.map(lambda c: c + " default='d'"))


def _hb_block(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    expression = _hb_expression()
    return st.one_of(
        st.tuples(expression, inner).map(lambda t: f"{{{{#if {t[0]}}}}}{t[1]}{{{{/if}}}}"),
        st.tuples(expression, inner, inner).map(
            lambda t: f"{{{{#if {t[0]}}}}}{t[1]}{{{{else}}}}{t[2]}{{{{/if}}}}"
        ),
        st.tuples(expression, inner).map(lambda t: f"{{{{#unless {t[0]}}}}}{t[1]}{{{{/unless}}}}"),
        st.tuples(expression, inner).map(lambda t: f"{{{{#each {t[0]}}}}}{t[1]}{{{{/each}}}}"),
        st.tuples(expression, inner).map(lambda t: f"{{{{#with {t[0]}}}}}{t[1]}{{{{/with}}}}"),
        st.tuples(expression, inner).map(lambda t: f"{{{{#({t[0]})}}}}{t[1]}{{{{/x}}}}"),
    )


def handlebars_sources() -> st.SearchStrategy[str]:
    """Handlebars sources: text, ``{{value}}``, ``{{{raw}}}``, helper calls with
    subexpressions, block helpers, comments; sometimes broken."""
    expression = _hb_expression()
    piece = st.one_of(
        TEXT,
        expression.map(lambda e: "{{" + e + "}}"),
        expression.map(lambda e: "{{{" + e + "}}}"),
        st.tuples(st.sampled_from(HB_HELPERS), expression).map(
            lambda t: f"{{{{{t[0]} ({t[1]})}}}}"
        ),
        TEXT.map(lambda t: "{{!-- " + t + " --}}"),
    )
    whole = st.recursive(piece, lambda inner: _hb_block(inner) | _joined(inner), max_leaves=8)
    broken = st.tuples(
        whole, st.sampled_from(["{{", "}}", "{{#if", "{{/each}}", "{{else}}", "{{> p}}"])
    )
    return st.one_of(whole, whole, whole, broken.map("".join), st.text(max_size=30))


# --- escapes ----------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{ request.__class__.__init__.__globals__ }}",
    "{{ request._request }}",
    "{{ request.json.__class__ }}",
    "{{ request | attr('__class__') }}",
    "{{ request | attr('_request') }}",
    "{{ (request | attr('__init__') | attr('__globals__')) }}",
    "{{ '%s' % request.__class__ }}",
    "{{ '{0.__class__}'.format(request) }}",
    "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "{{ '{x.__class__.__init__.__globals__}'.format_map({'x': joiner}) }}",
    "{{ range(10**9) | list }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ [1] * 10**9 }}",
    "{{ 10 ** (10 ** 10) }}",
    "{{ random_int.__self__ }}",
    "{{ random_int.__globals__ }}",
    "{{ jsonpath.__globals__ }}",
    "{{ faker._faker }}",
    "{{ now._moment }}",
    "{{ data.__class__.__base__.__subclasses__() }}",
    "{{ dict.__base__.__subclasses__() }}",
    "{{ dict(a=1).update(b=2) }}",
    "{{ request.json.update({'a': 1}) }}",
    "{{ request.headers.clear() }}",
    "{% set x = request.json %}{{ x.pop('a') }}",
    "{{ namespace(a=1).__dict__ }}",
    "{{ __builtins__ }}",
    "{{ __import__('os') }}",
    "{{ config }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends '/etc/passwd' %}",
    "{{ lipsum(10**6, true, 10**6, 10**6) }}",
]
"""Known Jinja2 sandbox escapes and resource attacks: each must be refused (a load error
or a 500 "template error"), run nothing, leak nothing and change nothing. The output
size and render time attacks have their own tests in ``test_templates``."""

HANDLEBARS_ESCAPES = [
    "{{request.__class__}}",
    "{{lookup request '__class__'}}",
    "{{lookup (lookup request '__init__') '__globals__'}}",
    "{{request._request}}",
    "{{lookup request '_request'}}",
    "{{this.__class__.__mro__}}",
    "{{jsonPath request '$.__class__'}}",
    "{{systemValue key='PATH'}}",
    "{{systemValue type='PROPERTY' key='user.home'}}",
    "{{randomValue length=999999999}}",
    "{{{request.body}}}<script>",
]
"""The same for Handlebars: no attribute walk reaches Python internals, no environment
value leaks, and resource attacks are refused."""
