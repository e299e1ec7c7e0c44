"""Reject profile regexes that can backtrack for ever on a long URL.

Python's ``re`` backtracks, and cannot be interrupted while it does (SIGTERM waits for the
match to end). A repeated group whose inside can match the same text in more than one way
— ``([a-z0-9]+)*``, ``(\\w+\\s?)*``, ``(a|ab)*`` — makes a failing match try every way to
split the text between iterations: 2ⁿ tries for a link of n characters. Profiles are data
that users write, so such a pattern is refused when the profile is loaded (and so by
``pingan sites --check``), with a message saying how to write it instead.

The check reads the parsed pattern (``re._parser``): for every repeat that may iterate more
than once, a variable-length part inside it must not be able to go on with a character that
what follows it (the rest of the iteration, or the next iteration) could start with, and
alternatives inside it must not start alike. This is the classic "ambiguous iteration"
test; it accepts the patterns profiles are made of (``(/\\w+)*``, ``(?:-\\d+)+``,
``\\d{4}/\\d{2}``, ``(?P<id>\\d+)``) and refuses the exponential ones.

Polynomial blow-ups are bounded too: links are at most ``urls.MAX_URL_LENGTH`` characters,
and a pattern whose failing search costs n³ or more (``.*/.*\\.html$`` unanchored,
``\\d+\\d+x``) is refused (:data:`MAX_DEGREE`).
"""

from __future__ import annotations

import re
import re._constants as C
import re._parser as sre_parse
from functools import cache

# The characters a set is tested on: all of ASCII (URLs are percent-encoded ASCII) and a few
# others for classes such as \w and [^/] that also cover non-ASCII text.
_UNIVERSE = (*(chr(c) for c in range(128)), "é", "中", "\u3000", "\xa0", "٣")
_ALL = frozenset(_UNIVERSE)
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT)
_ZERO_WIDTH = (C.AT, C.ASSERT, C.ASSERT_NOT)


class BacktrackingPattern(ValueError):
    """A pattern that can take exponential time; the message says why and what to do."""


# A failing search costs about n^degree steps on a link of n characters: n start positions
# (unless anchored with ^), times n for each greedy part that can give characters back to
# what follows it, times n for the scan of any greedy part after the first such. Degree 2
# is a few milliseconds on a 2,000-character link; degree 3 is seconds (measured: 3.5 s for
# ``.*/.*\.html$``, 19 s for ``\d+\d+x``), degree 4 hours.
MAX_DEGREE = 2
_MAX_ALTERNATIVES = 64


def check_linear(pattern: str) -> None:
    """Raise :class:`BacktrackingPattern` if ``pattern`` can backtrack exponentially, or
    polynomially beyond :data:`MAX_DEGREE`, on a long link that it does not match."""
    parsed = sre_parse.parse(pattern)
    checker = _Checker(bool(parsed.state.flags & re.IGNORECASE))
    checker.walk(list(parsed))
    checker.check_degree(list(parsed))


class _Checker:
    def __init__(self, ignore_case: bool) -> None:
        self.ignore_case = ignore_case

    # -- what an item can match first, and whether it can match nothing -------------------

    def first(self, seq: list) -> frozenset[str]:
        found: set[str] = set()
        for item in seq:
            found |= self.item_first(item)
            if not self.nullable_item(item):
                break
        return frozenset(found)

    def last(self, seq: list) -> frozenset[str]:
        """What ``seq`` can match last (what a later part may take back from it)."""
        found: set[str] = set()
        for item in reversed(seq):
            op, av = item
            if op == C.SUBPATTERN:
                found |= self.last(list(av[-1]))
            elif op == C.BRANCH:
                found |= frozenset().union(*(self.last(list(b)) for b in av[1]))
            elif op in (*_REPEATS, C.POSSESSIVE_REPEAT):
                found |= self.last(list(av[2]))
            else:
                found |= self.item_first(item)
            if not self.nullable_item(item):
                break
        return frozenset(found)

    def nullable(self, seq: list) -> bool:
        return all(self.nullable_item(item) for item in seq)

    def item_first(self, item) -> frozenset[str]:
        op, av = item
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            return self.chars(item)
        if op == C.SUBPATTERN:
            return self.first(list(av[-1]))
        if op == C.ATOMIC_GROUP:
            return self.first(list(av))
        if op == C.BRANCH:
            return frozenset().union(*(self.first(list(b)) for b in av[1]))
        if op in (*_REPEATS, C.POSSESSIVE_REPEAT):
            return self.first(list(av[2]))
        if op == C.GROUPREF_EXISTS:
            return frozenset().union(*(self.first(list(b)) for b in av[1:] if b))
        if op == C.GROUPREF:
            return _ALL
        return frozenset()  # anchors and lookarounds consume nothing

    def nullable_item(self, item) -> bool:
        op, av = item
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            return False
        if op == C.SUBPATTERN:
            return self.nullable(list(av[-1]))
        if op == C.ATOMIC_GROUP:
            return self.nullable(list(av))
        if op == C.BRANCH:
            return any(self.nullable(list(b)) for b in av[1])
        if op in (*_REPEATS, C.POSSESSIVE_REPEAT):
            return av[0] == 0 or self.nullable(list(av[2]))
        return True

    def chars(self, item) -> frozenset[str]:
        """The characters one single-character item matches (on the test universe)."""
        op, av = item
        if op == C.LITERAL:
            return self._cased({chr(av)})
        if op == C.NOT_LITERAL:
            return _ALL - self._cased({chr(av)})
        if op == C.ANY:
            return _ALL - {"\n"}
        negate = False
        found: set[str] = set()
        for sub_op, sub_av in av:
            if sub_op == C.NEGATE:
                negate = True
            elif sub_op == C.LITERAL:
                found.add(chr(sub_av))
            elif sub_op == C.RANGE:
                found |= {ch for ch in _UNIVERSE if sub_av[0] <= ord(ch) <= sub_av[1]}
            elif sub_op == C.CATEGORY:
                found |= _category(sub_av)
        found = set(self._cased(found))
        return frozenset(_ALL - found if negate else found)

    def _cased(self, chars: set[str]) -> frozenset[str]:
        if not self.ignore_case:
            return frozenset(chars)
        return frozenset(chars | {c.lower() for c in chars} | {c.upper() for c in chars})

    # -- polynomial: chained greedy parts at the top level --------------------------------

    def check_degree(self, seq: list) -> None:
        for flat in _alternatives(seq):
            anchored = bool(flat) and flat[0] == (C.AT, C.AT_BEGINNING)
            anchored = anchored or (bool(flat) and flat[0] == (C.AT, C.AT_BEGINNING_STRING))
            degree = 0 if anchored else 1
            handed: frozenset[str] = frozenset()  # characters split points are ambiguous on
            for i, item in enumerate(flat):
                op, av = item
                if op not in _REPEATS or av[1] <= av[0]:
                    continue
                takes = self.first(list(av[2]))
                shared = takes & self.first(flat[i + 1 :])
                if shared:
                    degree += 1
                    handed |= shared & self.last(list(av[2]))
                elif takes & handed and i + 1 < len(flat):
                    degree += 1  # rescans, for each earlier split, what an earlier part gave back
            if degree > MAX_DEGREE:
                raise BacktrackingPattern(
                    "greedy parts that can hand characters to one another (.*/.*, \\d+\\d+) "
                    "make a long link that does not match take seconds to minutes; anchor "
                    "the pattern with ^, and use a class that stops at the next separator "
                    "([^/]* rather than .*)"
                )

    # -- the check ------------------------------------------------------------------------

    def walk(self, seq: list) -> None:
        """Check every repeat that may iterate more than once, wherever it is."""
        for op, av in seq:
            if op in _REPEATS:
                _low, high, body = av
                body = list(body)
                if high > 1:
                    self.check_iteration(body, self.first(body))
                self.walk(body)
            elif op == C.POSSESSIVE_REPEAT:
                self.walk(list(av[2]))  # never backtracks into itself
            elif op == C.SUBPATTERN:
                self.walk(list(av[-1]))
            elif op == C.ATOMIC_GROUP:
                self.walk(list(av))
            elif op == C.BRANCH:
                for branch in av[1]:
                    self.walk(list(branch))
            elif op in (C.ASSERT, C.ASSERT_NOT):
                self.walk(list(av[1]))

    def check_iteration(self, seq: list, follow: frozenset[str]) -> None:
        """Inside a repeated body: no part may have two ways to go on at one character.

        ``follow`` is what may come after ``seq`` (for the whole body: the next iteration)."""
        after = follow
        for item in reversed(seq):
            op, av = item
            if op in _REPEATS:
                low, high, inner = av
                inner = list(inner)
                if high > low and self.first(inner) & after:
                    raise BacktrackingPattern(
                        _why("a variable-length part", self.first(inner) & after)
                    )
                if high > 1:
                    self.check_iteration(inner, self.first(inner) | after)
                else:
                    self.check_iteration(inner, after)
            elif op == C.SUBPATTERN:
                self.check_iteration(list(av[-1]), after)
            elif op == C.BRANCH:
                branches = [list(b) for b in av[1]]
                starts = [
                    self.first(b) | (after if self.nullable(b) else frozenset()) for b in branches
                ]
                for i, one in enumerate(starts):
                    for other in starts[i + 1 :]:
                        if one & other:
                            raise BacktrackingPattern(_why("two alternatives", one & other))
                for branch in branches:
                    self.check_iteration(branch, after)
            # (a possessive repeat or an atomic group never gives back what it took: unchecked)
            nullable = self.nullable_item(item)
            after = self.item_first(item) | (after if nullable else frozenset())


def _alternatives(seq: list) -> list[list]:
    """The top-level sequence with groups opened and alternatives spelled out (a few)."""
    results: list[list] = [[]]
    for item in seq:
        op, av = item
        if op == C.SUBPATTERN:
            options = _alternatives(list(av[-1]))
        elif op == C.BRANCH:
            options = [alt for branch in av[1] for alt in _alternatives(list(branch))]
        else:
            options = [[item]]
        results = [done + option for done in results for option in options]
        if len(results) > _MAX_ALTERNATIVES:
            return results[:_MAX_ALTERNATIVES]
    return results


@cache
def _category(name) -> frozenset[str]:
    tests = {
        C.CATEGORY_DIGIT: str.isdecimal,
        C.CATEGORY_SPACE: str.isspace,
        C.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
    }
    negated = {
        C.CATEGORY_NOT_DIGIT: C.CATEGORY_DIGIT,
        C.CATEGORY_NOT_SPACE: C.CATEGORY_SPACE,
        C.CATEGORY_NOT_WORD: C.CATEGORY_WORD,
    }
    if name in negated:
        return _ALL - _category(negated[name])
    test = tests.get(name)
    return frozenset(ch for ch in _UNIVERSE if test(ch)) if test else _ALL


def _why(what: str, chars: frozenset[str]) -> str:
    sample = "".join(sorted(c for c in chars if c.isprintable() and c.isascii())[:6])
    return (
        f"{what} inside a repeated group can match the same text in more than one way "
        f"(both may take {sample!r}…), so a long link that does not match takes exponential "
        f"time; make the repeat's inside unambiguous, e.g. ([a-z0-9]+)* → [a-z0-9]*, "
        f"(\\w+\\s?)* → [\\w\\s]*, or use a possessive repeat (x++) or an atomic group (?>…)"
    )
