"""Resource names as json-server derives foreign keys from them: the ``pluralize`` package.

``GET /posts?_embed=comments`` looks for ``postId`` (``singular("posts")``) and
``_expand=person`` in ``people`` (``plural("person")``). The tables are pluralize 8's, in
its order (the newest rule is tried first), so names come out as json-server's do.
"""

from __future__ import annotations

import re

_IRREGULAR = (
    "I we,me us,he they,she they,them them,myself ourselves,yourself yourselves,"
    "itself themselves,herself themselves,himself themselves,themself themselves,is are,"
    "was were,has have,this these,that those,echo echoes,dingo dingoes,volcano volcanoes,"
    "tornado tornadoes,torpedo torpedoes,genus genera,viscus viscera,stigma stigmata,"
    "stoma stomata,dogma dogmata,lemma lemmata,schema schemata,anathema anathemata,ox oxen,"
    "axe axes,die dice,yes yeses,foot feet,eave eaves,goose geese,tooth teeth,quiz quizzes,"
    "human humans,proof proofs,carve carves,valve valves,looey looies,thief thieves,"
    "groove grooves,pickaxe pickaxes,passerby passersby"
)
_SINGLES = {s.lower(): p.lower() for s, p in (pair.split() for pair in _IRREGULAR.split(","))}
_PLURALS = {p: s for s, p in _SINGLES.items()}
_UNCOUNTABLE = frozenset(
    "adulthood advice agenda aid aircraft alcohol ammo analytics anime athletics audio bison "
    "blood bream buffalo butter carp cash chassis chess clothing cod commerce cooperation corps "
    "debris diabetes digestion elk energy equipment excretion expertise firmware flounder fun "
    "gallows garbage graffiti hardware headquarters health herpes highjinks homework housework "
    "information jeans justice kudos labour literature machinery mackerel mail media mews moose "
    "music mud manga news only personnel pike plankton pliers police pollution premises rain "
    "research rice salmon scissors series sewage shambles shrimp software species staff swine "
    "tennis traffic transportation trout tuna wealth welfare whiting wildebeest wildlife "
    "you".split()
)
_UNCOUNTABLE_RULES = r"""
pok[eé]mon$ => $0
[^aeiou]ese$ => $0
deer$ => $0
fish$ => $0
measles$ => $0
o[iu]s$ => $0
pox$ => $0
sheep$ => $0
"""
_PLURAL_RULES = r"""
s?$ => s
[^\u0000-\u007F]$ => $0
([^aeiou]ese)$ => $1
(ax|test)is$ => $1es
(alias|[^aou]us|t[lm]as|gas|ris)$ => $1es
(e[mn]u)s?$ => $1s
([^l]ias|[aeiou]las|[ejzr]as|[iu]am)$ => $1
(alumn|syllab|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat)(?:us|i)$ => $1i
(alumn|alg|vertebr)(?:a|ae)$ => $1ae
(seraph|cherub)(?:im)?$ => $1im
(her|at|gr)o$ => $1oes
(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi|
curricul|automat|quor)(?:a|um)$ => $1a
(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|
hedr|automat)(?:a|on)$ => $1a
sis$ => ses
(?:(kni|wi|li)fe|(ar|l|ea|eo|oa|hoo)f)$ => $1$2ves
([^aeiouy]|qu)y$ => $1ies
([^ch][ieo][ln])ey$ => $1ies
(x|ch|ss|sh|zz)$ => $1es
(matr|cod|mur|sil|vert|ind|append)(?:ix|ex)$ => $1ices
\b((?:tit)?m|l)(?:ice|ouse)$ => $1ice
(pe)(?:rson|ople)$ => $1ople
(child)(?:ren)?$ => $1ren
eaux$ => $0
m[ae]n$ => men
^thou$ => you
"""
_SINGULAR_RULES = r"""
s$ =>
(ss)$ => $1
(wi|kni|(?:after|half|high|low|mid|non|night|[^\w]|^)li)ves$ => $1fe
(ar|(?:wo|[ae])l|[eo][ao])ves$ => $1f
ies$ => y
\b([pl]|zomb|(?:neck|cross)?t|coll|faer|food|gen|goon|group|lass|talk|goal|cut)ies$ => $1ie
\b(mon|smil)ies$ => $1ey
\b((?:tit)?m|l)ice$ => $1ouse
(seraph|cherub)im$ => $1
(x|ch|ss|sh|zz|tto|go|cho|alias|[^aou]us|t[lm]as|gas|(?:her|at|gr)o|[aeiou]ris)(?:es)?$ => $1
(analy|diagno|parenthe|progno|synop|the|empha|cri|ne)(?:sis|ses)$ => $1sis
(movie|twelve|abuse|e[mn]u)s$ => $1
(test)(?:is|es)$ => $1is
(alumn|syllab|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat)(?:us|i)$ => $1us
(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi|
curricul|quor)a$ => $1um
(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|hedr|automat)a$ => $1on
(alumn|alg|vertebr)ae$ => $1a
(cod|mur|sil|vert|ind)ices$ => $1ex
(matr|append)ices$ => $1ix
(pe)(rson|ople)$ => $1rson
(child)ren$ => $1
(eau)x?$ => $1
men$ => man
"""


def _rules(*tables: str) -> list[tuple[re.Pattern[str], str]]:
    """``pattern => replacement`` lines (one ending in ``|`` goes on), newest rule first."""
    text = "\n".join(table.strip() for table in tables).replace("|\n", "|")
    pairs = [line.split(" =>") for line in text.splitlines()]
    return [(re.compile(p, re.IGNORECASE), r.strip()) for p, r in reversed(pairs)]


_COMPILED = {
    "plural": _rules(_PLURAL_RULES, _UNCOUNTABLE_RULES),
    "singular": _rules(_SINGULAR_RULES, _UNCOUNTABLE_RULES),
}


def _restore_case(word: str, token: str) -> str:
    if word == token:
        return token
    if word == word.lower():
        return token.lower()
    if word == word.upper():
        return token.upper()
    if word[:1] == word[:1].upper():
        return token[:1].upper() + token[1:].lower()
    return token.lower()


def _inflect(word: str, kind: str) -> str:
    token = word.lower()
    keep, swap = (_PLURALS, _SINGLES) if kind == "plural" else (_SINGLES, _PLURALS)
    if token in keep:
        return _restore_case(word, token)
    if token in swap:
        return _restore_case(word, swap[token])
    if not token or token in _UNCOUNTABLE:
        return word
    for pattern, replacement in _COMPILED[kind]:
        match = pattern.search(word)
        if match is not None:
            return _replace(word, match, replacement)
    return word


def _replace(word: str, match: re.Match[str], replacement: str) -> str:
    groups = (match.group(), *match.groups())
    result = re.sub(r"\$(\d{1,2})", lambda m: groups[int(m.group(1))] or "", replacement)
    case_of = match.group() or word[match.start() - 1 : match.start()]
    return word[: match.start()] + _restore_case(case_of, result) + word[match.end() :]


def plural(word: str) -> str:
    """``pluralize.plural``: ``user`` -> ``users``, ``person`` -> ``people``."""
    return _inflect(word, "plural")


def singular(word: str) -> str:
    """``pluralize.singular``: ``posts`` -> ``post``, ``people`` -> ``person``."""
    return _inflect(word, "singular")
