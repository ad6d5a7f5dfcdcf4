"""Phrases that write-ups credit ("X helped", "adding X gave +0.01") but no vocabulary entry covers.

A maintainer grows the vocabulary from this list: each candidate is a short noun phrase that a
write-up credits, counted by how many competitions (then write-ups) credit it, with one example
quote. The steps are small pure functions over strings, so each can be tested on hand-written
sentences; :func:`mine` runs them over a knowledge base's chunks.

1. :func:`credit_sentences` keeps the sentences that credit something: a positive cue ("helped",
   "gave +0.01", "was key") and no negative one, or a list item under a title like "What worked";
   never inside a "What didn't work" section (the same section reading as technique tagging).
2. :func:`phrases_near_cues` takes the words a cue credits (the phrase before "helped", the one
   after "a boost from"), :func:`leading_phrases` what a list item names; words inside a
   vocabulary match, a number, code or a URL break a phrase, so every phrase is uncovered.
3. :func:`rank` counts distinct competitions and write-ups per phrase, drops phrases too common to
   name a technique ("classification") and those a longer phrase explains, and orders the rest.
"""

from __future__ import annotations

import re
import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from kb.techniques.extract import (
    _heading,
    _heading_negative,
    _line_flags,
    _negative_cues,
    _sentences,
    _url_spans,
)
from kb.techniques.matcher import Matcher, lower_keeping_offsets
from kb.techniques.vocab import Vocabulary

MAX_WORDS = 4
RUN_WORDS = 8  # the longest run of words taken before or after a cue
WINDOW = 6  # how far after a cue an introducer ("from", "by", "using") may stand
SKIP = 4  # how many linking words ("was", "also", "really") may stand between a phrase and its cue
QUOTE_CHARS = 240
SUBSUMED = 0.6  # a phrase goes when a longer phrase containing it has this share of its write-ups
COMMON_SHARE = 0.05  # a phrase in more than this share of all write-ups is too common to be a technique
COMMON_MIN = 20  # ... and in at least this many

# Positive-effect cues, matched on lower-cased text. Unlike the tagger's cues these are strict:
# "higher" or "better" alone say too little to credit the words around them. A verb cue credits
# the phrase before it ("X helped") and the one after an introducer ("improved by adding X").
_NOT = r"(?<!n['’]t\s)(?<!\bnot\s)(?<!\bno\s)(?<!\bnever\s)"
_METRIC = r"(?:the\s+|our\s+|my\s+|a\s+)?(?:\w+\s+)?(?:score|cv|lb|accuracy|auc|performance|metric|results?|map|f1)"
_GAIN = r"(?:gains?|boosts?|improvements?|jumps?|lifts?|increases?|bumps?|uplifts?)"
VERB_CUE = re.compile(_NOT + r"\b(?:" + "|".join([
    r"help(?:ed|s)\b",
    r"improv(?:ed|es)\b",
    r"boost(?:ed|s)\b",
    r"(?:gave|gives|give|brought|brings|added|adds|yielded|yields|provided|provides|got|gets)\s+(?:us\s+|me\s+)?"
    r"(?:a\s+|an\s+|another\s+|some\s+)?(?:\+|~|about\s+|around\s+)?(?:0?\.\d|\d|(?:\w+\s+)?" + _GAIN + r"\b)",
    r"(?:increas|rais|push|lift)(?:ed|es|e|ing)\s+" + _METRIC + r"\b",
    r"(?:was|were|is|are|be)\s+(?:the\s+|a\s+)?(?:\w+\s+)?(?:key|crucial|essential|critical|vital)\b",
    r"key\s+(?:to|ingredient|component|part|factor|trick|insight|idea|element)\b",
    r"work(?:ed|s)\s+(?:very\s+|really\s+|quite\s+|surprisingly\s+)?(?:well|best|great|nicely|wonders)\b",
    r"made\s+(?:a|the)\s+(?:big\s+|huge\s+|real\s+|significant\s+|biggest\s+)?difference\b",
    r"(?:was|were|is|are)\s+(?:also\s+)?(?:very\s+|really\s+|quite\s+|extremely\s+|super\s+|most\s+)?"
    r"(?:important|useful|helpful|effective|beneficial)\b",
    r"outperform(?:ed|s)\b",
]) + r")")
# A noun cue credits what follows an introducer ("a big boost from X"), and the phrase before it
# only in a list item or an aside ("X: +0.004", "X (big gain)").
NOUN_CUE = re.compile(_NOT + r"(?:\b(?:(?:big|huge|large|significant|major|substantial|nice|solid|good|decent|"
                      r"noticeable|great|consistent|biggest|largest|small|slight|minor)\s+)?" + _GAIN + r"\b"
                      r"|\b(?:very|really|extremely|super|most|particularly)\s+(?:important|useful|helpful|effective)\b"
                      r"|(?<![\w.])\+\s?\d*\.?\d+%?)")
CUE = re.compile(VERB_CUE.pattern + "|" + NOUN_CUE.pattern)

# Words that may sit inside a phrase but never start or end one.
SOFT_STOP = frozenset("""
    of on for with in to from by at per into over via between across and or as vs versus than
    using use used uses adding add added applying apply applied tried trying try including include
    introduce introducing introduced switching switch switched replacing replace replaced combining
    combined doing done making make made taking take took training trained train fine tuned tuning
""".split())
# Words that never belong to a candidate phrase: they break the phrase where they stand.
HARD_STOP = frozenset("""
    a an the this that these those it its it's we our ours us i my me you your he she they them their
    is are was were be been being am has have had having do does did can could would should will
    shall may might must not no nor never but however also only just even still very really quite
    much many more most less least some any all each every both either neither other another such
    so then than too there here when where which who whom whose what why how while if because since
    though although until after before about again once same own few lot lots bit
    slightly significantly greatly considerably substantially noticeably dramatically marginally
    well better best good great big huge nice small large larger higher lower high low new
    first second third last final finally one two three four five six seven eight nine ten
    up down out off around above below under further etc e.g i.e eg ie vs. like
    don't didn't doesn't isn't wasn't weren't aren't won't can't couldn't wouldn't shouldn't
    helped helps help helping improved improves improve improving improvement improvements boost
    boosted boosts gain gains gained key crucial essential critical vital worked works work working
    difference useful helpful beneficial effective important outperformed outperforms increase increased
    gave give gives brought yielded yields score scores
""".split())
# Words too broad to name a technique on their own: ML shop talk and everyday English seen near
# cues in real write-ups. A phrase made only of these (and soft stop-words) is dropped.
GENERIC = frozenset("""
    model models modeling modelling data dataset datasets training train test testing validation
    result results performance accuracy lb cv public private leaderboard board feature features
    prediction predictions predict approach approaches method methods idea ideas way ways time
    step steps part parts thing things stuff solution solutions team teams competition competitions
    experiment experiments version versions number set sets value values level levels size sizes rate
    network networks net nets layer layers architecture architectures input inputs output outputs epoch
    epochs submission submissions pipeline stage stages baseline baselines setting settings parameter
    parameters hyperparameter hyperparameters hyper run runs fold folds seed seeds weight weights image
    images text texts sample samples class classes label labels target targets task tasks
    metric metrics loss losses point points percent order kind type types case cases problem
    problems single simple multiple different various several similar certain whole overall
    local global top bottom main base default original same
    ensemble ensembles ensembling blend blending trick tricks technique techniques
    auc map f1 rmse mae logloss iou dice significant slight strong strongly
    deep machine learning neural ml ai kaggle kaggler kagglers kaggling competitor competitors
    code coding library libraries framework frameworks package tool tools notebook notebooks kernel
    kernels pytorch tensorflow keras python gpu gpus cpu tpu hardware memory speed fast faster slow
    people community others everyone someone author authors host hosts organizers discussion
    discussions forum post posts blog paper papers youtube videos video chris
    knowledge experience skill skills understanding intuition insight insights lesson lessons
    information details detail question questions answer answers suggestion suggestions feedback
    process processing quality amount lot room chance effect impact change changes difference
    function structure space field table project projects job work works progress growth
    possible potential additional extra minor tiny major huge massive decent good real true clear
    able easy hard early later late rest following next previous current further unique visible
    own entire whole full right wrong proper careful general specific particular important
    found find finding got get getting saw see seen seeing know known knowing learn learned
    learnt think thought believe hope guess noticed notice observed observe showed shown show
    proved prove provided provide provides providing comes came come coming led leads looked
    look looks tend tends measured verify check checked require requires need needs needed wanted
    want started start based regarding related according given including able itself everything
    nothing something anything none perhaps probably likely especially highly typically usually already
    modification modifications addition additions variant variants component components procedure handling
    property groups turn runtime iterations learnings indicators imo lucky luck travel conclude initiative
    promotion exercise bonus organization everything else technical reputation parents csv files
    often always sometimes mainly mostly simply really quite
    """.split())
# Between a phrase and the cue after it: "X was really key", "X also significantly helped".
LINKING = frozenset("""
    is are was were be been has have had also really significantly greatly clearly definitely
    consistently always usually further slightly surprisingly actually certainly noticeably
    substantially considerably dramatically massively hugely which that can could will would
    did does do seems seemed to very quite most the a
""".split())
# Punctuation that may stand between a phrase and a noun cue: "X: +0.004", "X (big gain)", "X - key".
ASIDE = frozenset("(:-–—")
# "the encoders were improved by X": the phrase before a passive cue is what improved, not the cause
PASSIVE = frozenset("is are was were be been being get gets got".split())
PARTICIPLES = frozenset("improved boosted helped".split())
# After a cue, these words introduce what earned it: "a boost from X", "improved by adding X".
INTRODUCERS = frozenset("from by using adding with via through applying introducing thanks".split())
DETERMINERS = frozenset("the a an our my some this these their to".split())
CUE_WORDS = frozenset("""
    helped helps help improved improves improvement improvements boost boosted boosts gain gains gained
    key crucial essential critical vital useful helpful beneficial effective important outperformed
""".split())

_TOKEN = re.compile(r"[^\s,;:()\[\]{}\"“”!?|<>=*]+|[,;:()\[\]{}\"“”!?|<>=*]")
_WORD = re.compile(r"[a-z][a-z'’]*(?:-[a-z][a-z'’]*)*|\d(?:\.\d)?d")
_STRIP = "*_~#>`'’‘\"“”."
_CODE = re.compile(r"`[^`\n]*`")
_CODE_BLOCK = re.compile(r"^[ \t]*(?:```|~~~)[^\n]*\n.*?(?:^[ \t]*(?:```|~~~)[ \t]*$|\Z)"
                         r"|^[ \t]*(?:\$|>>>|sudo|pip3?|python3?|git|cd|wget|curl|bash|conda|apt(?:-get)?|export)"
                         r"[ \t][^\n]*$", re.MULTILINE | re.DOTALL)


def without_code(text: str) -> str:
    """``text`` with fenced code blocks and shell command lines blanked (same length, same lines)."""
    return _CODE_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


@dataclass(frozen=True)
class Use:
    """One phrase credited in one sentence of one write-up."""

    phrase: str
    document: int
    competitions: tuple[str, ...]
    quote: str
    url: str


@dataclass
class Candidate:
    """A phrase with the competitions and write-ups that credit it, and one example quote."""

    phrase: str
    competitions: set[str] = field(default_factory=set)
    documents: set[int] = field(default_factory=set)
    quote: str = ""
    url: str = ""

    def to_json(self) -> dict:
        return {"phrase": self.phrase, "competitions": len(self.competitions), "documents": len(self.documents),
                "competition_slugs": sorted(self.competitions), "quote": self.quote, "url": self.url}


@dataclass(frozen=True)
class Credit:
    """A sentence that credits something: by a cue in it, or as a list item under "What worked"."""

    text: str
    listed: bool = False


# Section titles whose list items are credits: "What worked", "Key improvements", "Tricks that helped".
_POSITIVE_HEADING = re.compile(
    r"\b(?:what\s+(?:\w+\s+)?(?:worked|helped)|worked(?:\s+well)?|helped|"
    r"key\s+(?:ingredients?|improvements?|ideas?|components?|tricks?|points?|insights?|findings?|parts?)|"
    r"improvements?|boost\w*|gains?|tricks?)\b")
_HYPOTHETICAL_HEADING = re.compile(r"\b(?:possible|potential|could|would|might|todo|next\s+steps|ideas\s+for)\b")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+")


def _positive_list_lines(text: str, heading_path: str) -> list[bool]:
    """Per line: whether it is a list item under a section title like "What worked" (and not "didn't")."""
    parts = [p.strip() for p in heading_path.split(">") if p.strip()]
    title = parts[-1] if parts else ""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        heading = _heading(line, lines[i + 1] if i + 1 < len(lines) else "")
        stripped = line.strip().strip("*_ ")
        item = bool(_LIST_ITEM.match(line))
        if heading is not None:
            title = heading[1]
        elif not item and stripped.endswith(":") and len(stripped.split()) <= 12:
            title = stripped
        low = title.lower()
        out.append(item and bool(_POSITIVE_HEADING.search(low)) and not _HYPOTHETICAL_HEADING.search(low)
                   and not _heading_negative(title))
    return out


def _is_title(sentence: str) -> bool:
    """A heading or a short line that introduces a list ("Possible improvements:")."""
    body = sentence.strip().strip("*_ ")
    return body.startswith("#") or (body.endswith(":") and len(body.split()) <= 12)


def credit_sentences(text: str, heading_path: str = "") -> list[Credit]:
    """Sentences that credit something, outside negative sections and without a negative cue:
    those with a positive cue, and list items under a positive title ("What worked:")."""
    text = without_code(text)
    low = lower_keeping_offsets(text)
    line_starts, line_flags = _line_flags(text, heading_path)
    listed = _positive_list_lines(text, heading_path) if _POSITIVE_HEADING.search(
        heading_path.lower() + "\n" + low) else [False] * len(text.split("\n"))
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out = []
    for s in _sentences(text):
        sentence = low[s.start:s.end]
        line = max(0, bisect_right(starts, s.start) - 1)
        item = listed[line] and not text[starts[line]:s.start].strip(" \t-*+•0123456789.)")
        if not (item or CUE.search(sentence)) or _negative_cues(sentence) or _is_title(sentence):
            continue
        if line_flags[max(0, bisect_right(line_starts, s.start) - 1)]:
            continue
        out.append(Credit(text[s.start:s.end], item))
    return out


def _tokens(sentence: str, matcher: Matcher | None) -> list[tuple[int, int, str | None, str]]:
    """(start, end, word, raw text) per token; word is None for a breaker (punctuation, number,
    code, URL, vocabulary match)."""
    blocked = list(_url_spans(sentence)) + [m.span() for m in _CODE.finditer(sentence)]
    if matcher is not None:
        blocked += [(start, end) for _, start, end in matcher.find(sentence)]
    low = lower_keeping_offsets(sentence)
    out: list[tuple[int, int, str | None, str]] = []
    for m in _TOKEN.finditer(low):
        start, end = m.span()
        raw = m.group()
        if any(a < end and start < b for a, b in blocked):
            out.append((start, end, None, raw))
            continue
        core = raw.strip(_STRIP)
        word = core if _WORD.fullmatch(core) else None
        if word is None:
            out.append((start, end, None, raw))
            continue
        for piece in word.split("-"):
            out.append((start, end, piece, raw))
        if raw.rstrip("*_~`'’\"”").endswith((".", "'")) and not raw.endswith("..."):
            out.append((end, end, None, "."))  # "... with hypercolumns. Then" ends the phrase
    return out


def _cue_spans(sentence: str) -> list[tuple[int, int, bool]]:
    """(start, end, is a verb cue) of each cue, verb cues first where they overlap."""
    low = lower_keeping_offsets(sentence)
    verbs = [(*m.span(), True) for m in VERB_CUE.finditer(low)]
    nouns = [(*m.span(), False) for m in NOUN_CUE.finditer(low)
             if not any(a < m.end() and m.start() < b for a, b, _ in verbs)]
    return sorted(verbs + nouns)


def _trim(words: list[str]) -> list[str]:
    lo, hi = 0, len(words)
    while lo < hi and words[lo] in SOFT_STOP:
        lo += 1
    while hi > lo and words[hi - 1] in SOFT_STOP:
        hi -= 1
    return words[lo:hi]


def is_candidate(words: list[str]) -> bool:
    """A phrase worth showing: 1-4 words, no stop-word at either end, not made only of generic words."""
    if not words or len(words) > MAX_WORDS or _trim(words) != words:
        return False
    if any(w in HARD_STOP for w in words):
        return False
    if all(w in GENERIC or w in SOFT_STOP for w in words):
        return False
    if len(words) == 1:
        word = words[0]
        # a lone adverb ("drastically") or past participle ("regularized") is not a technique
        return len(word) >= 3 and not word.endswith(("ly", "ed", "’s", "'s"))
    return True


def _runs_at_cue(tokens: list[tuple[int, int, str | None, str]], first: int, last: int,
                 verb: bool) -> list[list[str]]:
    """The words a cue credits: the phrase just before it ("X helped") and the one after an
    introducer ("a boost from X", "improved the score by adding X")."""
    def collect(i: int, step: int) -> list[str]:
        run: list[str] = []
        while 0 <= i < len(tokens) and len(run) < RUN_WORDS:
            word = tokens[i][2]
            if word is None or (word in HARD_STOP and word not in DETERMINERS) or word in CUE_WORDS:
                break
            run.append(word)
            i += step
        return run[::-1] if step < 0 else run

    runs = []
    i = first - 1
    aside = passive = False
    while i >= 0 and first - i <= SKIP and (tokens[i][2] in LINKING or tokens[i][3] in ASIDE):
        aside = aside or tokens[i][3] in ASIDE
        passive = passive or (i == first - 1 and tokens[i][2] in PASSIVE)
        i -= 1
    if (verb or aside) and not (passive and tokens[first][2] in PARTICIPLES):
        runs.append(collect(i, -1))
    for j in range(last + 1, min(len(tokens), last + 1 + WINDOW)):
        word = tokens[j][2]
        if word is None:
            break
        if word in INTRODUCERS:
            k = j + 1
            while k < len(tokens) and tokens[k][2] in DETERMINERS | INTRODUCERS:
                k += 1
            runs.append(collect(k, 1))
            break
    return [run for run in runs if run]


def _phrases(run: list[str]) -> set[str]:
    """The noun phrases in a run of words: pieces between soft stop-words and determiners ("of",
    "using", "the"), each cut to its last :data:`MAX_WORDS` words (the head noun comes last)."""
    out: set[str] = set()
    piece: list[str] = []
    for word in [*run, ""]:
        if word and word not in SOFT_STOP and word not in DETERMINERS:
            piece.append(word)
            continue
        words = piece[-MAX_WORDS:]
        if is_candidate(words):
            out.add(" ".join(words))
        piece = []
    return out


def leading_phrases(item: str, matcher: Matcher | None = None) -> set[str]:
    """Candidate phrases at the start of a list item ("- Heavy augmentations: ..."), what the item names."""
    marker = _LIST_ITEM.match(item)
    tokens = _tokens(item[marker.end():] if marker else item, matcher)
    i = 0
    run: list[str] = []
    while i < len(tokens) and len(run) < RUN_WORDS:
        word = tokens[i][2]
        if word is None or word in HARD_STOP or word in CUE_WORDS:
            break
        run.append(word)
        i += 1
    out = _phrases(run)
    return {p for p in out if not matcher.find(p)} if matcher is not None else out


def phrases_near_cues(sentence: str, matcher: Matcher | None = None) -> set[str]:
    """Candidate phrases a positive cue in ``sentence`` credits (see :func:`_runs_at_cue`).

    Words inside a vocabulary match (``matcher``), a URL or inline code never join a phrase, so a
    phrase is always something the vocabulary does not cover yet.
    """
    cues = _cue_spans(sentence)
    if not cues:
        return set()
    tokens = _tokens(sentence, matcher)
    out: set[str] = set()
    for a, b, verb in cues:
        idx = [i for i, (s, e, _, _) in enumerate(tokens) if s < b and a < e]
        if not idx:
            continue
        for run in _runs_at_cue(tokens, idx[0], idx[-1], verb):
            out |= _phrases(run)
    if matcher is not None:
        out = {p for p in out if not matcher.find(p)}
    return out


def quote(sentence: str, phrase: str, limit: int = QUOTE_CHARS) -> str:
    """The sentence on one line, cut to ``limit`` characters around the phrase's first word."""
    text = " ".join(sentence.split())
    if len(text) <= limit:
        return text
    first = phrase.split()[0]
    hit = re.search(r"\b" + re.escape(first), text, re.IGNORECASE)
    centre = hit.start() if hit else 0
    lo = max(0, min(centre - limit // 2, len(text) - limit))
    lo = text.find(" ", lo) + 1 if lo > 0 else 0
    body = text[lo:lo + limit]
    if lo + limit < len(text):
        body = body[:body.rfind(" ")] if " " in body else body
    return ("…" if lo > 0 else "") + body.strip() + ("…" if lo + len(body) < len(text) else "")


def _contains(longer: str, shorter: str) -> bool:
    return f" {shorter} " in f" {longer} "


def rank(uses: Iterable[Use], *, min_competitions: int = 2, limit: int | None = None,
         frequencies: Mapping[str, int] | None = None, total_documents: int = 0) -> list[Candidate]:
    """Candidates by distinct competitions, then write-ups, then credit share, then phrase.

    A write-up linked to no competition counts as a competition of its own. A phrase is dropped
    when a longer phrase containing it is credited in at least :data:`SUBSUMED` of its write-ups
    ("weight averaging" goes when "stochastic weight averaging" explains it), and, given
    ``frequencies`` (write-ups that contain each phrase anywhere) out of ``total_documents``, when
    it is too common to name a technique (:func:`too_common`). The credit share (write-ups that
    credit the phrase / write-ups that contain it) breaks ties: a specific trick is credited most
    times it is named, a common word rarely.
    """
    found: dict[str, Candidate] = {}
    quote_len: dict[str, int] = {}
    for use in uses:
        c = found.setdefault(use.phrase, Candidate(use.phrase))
        c.competitions.update(use.competitions or (f"document:{use.document}",))
        c.documents.add(use.document)
        # the shortest quote reads best; ties go to the first URL in sort order, for stable output
        key = (len(use.quote), use.url)
        if not c.quote or key < (quote_len[use.phrase], c.url):
            c.quote, c.url = use.quote, use.url
            quote_len[use.phrase] = len(use.quote)
    freq = frequencies or {}
    kept = [c for c in found.values() if len(c.competitions) >= min_competitions
            and not too_common(freq.get(c.phrase, 0), total_documents)]
    longer_by_word: dict[str, list[Candidate]] = {}
    for c in kept:
        for word in set(c.phrase.split()):
            longer_by_word.setdefault(word, []).append(c)
    out = []
    for c in kept:
        n = len(c.phrase.split())
        rivals = longer_by_word.get(c.phrase.split()[0], [])
        if any(len(o.phrase.split()) > n and _contains(o.phrase, c.phrase)
               and len(o.documents & c.documents) >= SUBSUMED * len(c.documents) for o in rivals):
            continue
        out.append(c)

    def share(c: Candidate) -> float:
        return len(c.documents) / max(freq.get(c.phrase, 0), len(c.documents))

    out.sort(key=lambda c: (-len(c.competitions), -len(c.documents), -share(c), c.phrase))
    return out[:limit] if limit is not None else out


def too_common(frequency: int, total_documents: int) -> bool:
    """Whether a phrase found in ``frequency`` of ``total_documents`` write-ups is everyday vocabulary.

    Past :data:`COMMON_SHARE` of the write-ups (and at least :data:`COMMON_MIN` of them, so a small
    knowledge base keeps everything) a phrase is a word like "classification", not a missing entry.
    """
    return frequency >= COMMON_MIN and frequency > COMMON_SHARE * total_documents


def document_frequencies(texts: Iterable[str], phrases: Iterable[str]) -> dict[str, int]:
    """How many of ``texts`` contain each phrase, word for word as :func:`phrases_near_cues` reads words."""
    wanted: dict[int, set[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.split())
        wanted.setdefault(len(words), set()).add(words)
    counts: dict[str, int] = dict.fromkeys((" ".join(w) for group in wanted.values() for w in group), 0)
    for text in texts:
        seen: set[str] = set()
        for line in without_code(text).split("\n"):
            tokens = [word or "" for _, _, word, _ in _tokens(line, None)]  # no matcher: every word is a string
            for n, group in wanted.items():
                for i in range(len(tokens) - n + 1):
                    gram = tuple(tokens[i:i + n])
                    if gram in group:
                        seen.add(" ".join(gram))
        for phrase in seen:
            counts[phrase] += 1
    return counts


def uses_in_passage(text: str, heading_path: str, matcher: Matcher | None, *, document: int,
                    competitions: tuple[str, ...], url: str) -> Iterator[Use]:
    """Every (phrase, sentence) credit in one passage of one write-up."""
    for credit in credit_sentences(text, heading_path):
        found = phrases_near_cues(credit.text, matcher)
        if credit.listed:
            found |= leading_phrases(credit.text, matcher)
        for phrase in sorted(found):
            yield Use(phrase, document, competitions, quote(credit.text, phrase), url)


def mine(conn: sqlite3.Connection, vocab: Vocabulary, *, min_competitions: int = 2,
         limit: int | None = None) -> list[Candidate]:
    """Candidates over every chunk of the knowledge base in ``conn`` (see :func:`rank`)."""
    matcher = vocab.matcher()
    links: dict[int, list[str]] = {}
    for doc, slug in conn.execute(
            "SELECT dc.document_id, co.slug FROM document_competitions dc"
            " JOIN competitions co ON co.id = dc.competition_id ORDER BY co.slug"):
        links.setdefault(doc, []).append(slug)
    uses = [use for doc, url, heading, text in conn.execute(
                "SELECT c.document_id, d.url, c.heading_path, c.text FROM chunks c"
                " JOIN documents d ON d.id = c.document_id ORDER BY c.document_id, c.position")
            for use in uses_in_passage(text, heading or "", matcher, document=doc,
                                       competitions=tuple(links.get(doc, ())), url=url)]
    reach: dict[str, set[str]] = {}
    for use in uses:
        reach.setdefault(use.phrase, set()).update(use.competitions or (f"document:{use.document}",))
    phrases = [phrase for phrase, competitions in reach.items() if len(competitions) >= min_competitions]
    total = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    texts = (text for (text,) in conn.execute("SELECT text FROM documents"))
    return rank(uses, min_competitions=min_competitions, limit=limit,
                frequencies=document_frequencies(texts, phrases), total_documents=total)


__all__ = ["CUE", "NOUN_CUE", "VERB_CUE", "Candidate", "Credit", "Use", "credit_sentences", "document_frequencies",
           "is_candidate", "leading_phrases", "mine", "phrases_near_cues", "quote", "rank", "too_common",
           "uses_in_passage", "without_code"]
