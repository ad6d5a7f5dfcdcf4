"""Find technique mentions in a passage and decide whether the author says each one helped.

Mentions are found by the vocabulary's :class:`~kb.techniques.matcher.Matcher`.

Whether a mention "helped" is decided in this order:

1. Section context. A heading (from ``heading_path``, from ``#`` lines or bold/colon pseudo-headings
   inside the text) such as "What didn't work", "Failed experiments" or "Future work" makes every
   mention under it ``helped=False``.
2. Clause cues. Sentences are split into clauses at ``;``, "but", "however", "whereas", "while",
   "although"... A negative cue ("didn't help", "no improvement", "worse", "hurt", "useless",
   "failed to") marks the mentions of its own clause. Comparatives are directional: in
   "X was worse than Y" only X is marked, in "X beat Y" / "instead of Y" only Y is.
3. Carry-over. "We tried X, but ..." marks X; so does a following clause or sentence that starts
   with "it/this/they..." (or with a bare "Didn't help.") and carries a negative cue.
4. "without X" inverts: "worse without X" means X helped; "no X" means X was not used.

Mentions are deduplicated per sentence: one Mention per technique, at its first occurrence,
helped when its positive readings outnumber its negative ones (a tie is not helped).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from kb.techniques.matcher import lower_keeping_offsets
from kb.techniques.vocab import Vocabulary

SNIPPET_CHARS = 300

_URL_RE = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'`)\]]+|\]\([^)\s]*\)|[\w.+-]+@[\w-]+\.[\w.]+")


# --------------------------------------------------------------------------- sentences
_HARD_BREAK = re.compile(
    r"\n(?:[ \t]*\n)+|\n(?=[ \t]*(?:[-*+•][ \t]|\d{1,3}[.)][ \t]|#{1,6}[ \t]|\||>))"
    r"|:[ \t]*\n|#{1,6}[ \t][^\n]*\n")
_SOFT_BREAK = re.compile(r"[.!?]+[\"'’”)\]]*(?=\s+[\"'‘“(\[*_`]?[A-Z0-9])|[。！？]")
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|vs|etc|approx|fig|figs|al|mr|dr|no|cf|resp|ca|incl|eq|ex|v)|"
                           r"(?<![A-Za-z])[A-Za-z])\.$", re.IGNORECASE)


@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    hard_end: bool  # ended by a line/paragraph/list boundary rather than by punctuation


def _sentences(text: str) -> list[_Sentence]:
    cuts: dict[int, bool] = {}
    for m in _HARD_BREAK.finditer(text):
        cuts[m.end()] = True
    for m in _SOFT_BREAK.finditer(text):
        if not _ABBREVIATION.search(text[max(0, m.start() - 8):m.start() + 1]):
            cuts.setdefault(m.end(), False)
    cuts[len(text)] = True
    out, start = [], 0
    for cut in sorted(cuts):
        seg = text[start:cut]
        lead = len(seg) - len(seg.lstrip())
        if seg.strip():
            out.append(_Sentence(start + lead, start + len(seg.rstrip()), cuts[cut]))
        start = cut
    return out


# --------------------------------------------------------------------------- cues
def _at_word_start(*alternatives: str) -> re.Pattern:
    """One regex ``\b(?:a|b|...)``: a single boundary test per position keeps scanning fast."""
    return re.compile(r"\b(?:" + "|".join(alternatives) + ")")


# All cue regexes run on lower-cased text.
_NEGATION = r"(?:\w*n['’]t|not|never|no\s+longer|hardly|barely|cannot)"
_OUTCOME = (r"(?:help\w*|work(?:s|ed|ing)?|improv\w*|boost\w*|gain\w*|benefit\w*|contribut\w*|matter\w*|useful|"
            r"helpful|effective|beneficial|significant\w*|successful|worth\w*|better|outperform\w*|beat|"
            r"converge\w*|generali[sz]\w*|translate\w*|pan\s+out|pay\s+off|add\s+(?:any\s+|much\s+)?value|"
            r"add\s+(?:much|anything)|make\s+(?:a|any|much)\s+difference|make\s+it|used|use|using|increase\w*|"
            r"change\s+(?:much|anything)|do\s+(?:much|anything)|give\s+(?:any|much)|bring\s+(?:any|much)|"
            r"yield\w*|consider\w*|leverag\w*|employ\w*|appl(?:y|ied|ying)|adopt\w*|need\w*|rely|relied|"
            r"(?:seem|appear)\w*\s+to\s+(?:help|work|improve|boost|matter|make|add|give|change))")
_NEG_CUES = _at_word_start(
    _NEGATION + r"\s+(?!only\b|just\b)(?:\w+\s+){0,2}?" + _OUTCOME + r"\b",
    r"no\s+better\b",
    r"(?:no|zero|little|minimal|negligible|insignificant|without(?:\s+any)?)\s+(?:\w+\s+)?"
    r"(?:improvements?|gains?|boosts?|benefits?|difference|effect|impact|uplift|lift|luck|success|help|value)\b",
    r"(?<!\bno\s)(?<!\bnot\s)(?<!\bnever\s)(?:worse|worsen\w*|degrad\w*|deteriorat\w*)\b(?!(?:\s+\w+)?\s+than\b)",
    r"(?<!n['’]t\s)(?<!\bnot\s)(?<!\bnever\s)(?<!\bno\s)(?:hurt(?:s|ing)?|harm(?:s|ed|ful)?)\b",
    r"(?:decreas|lower|reduc)(?:ed|es|e|ing)\s+(?:the\s+|our\s+|my\s+)?"
    r"(?:score|accuracy|performance|auc|f1|cv|lb|metric|results?)\b",
    r"(?:useless|ineffective|unhelpful|unsuccessful\w*|unstable|counterproductive|detrimental)\b",
    r"without\s+(?:much\s+|any\s+)?success\b|to\s+no\s+avail\b|did\s+nothing\b|no\s+(?:luck|avail)\b",
    r"(?:failed|fails?)\s+to\b|failed\b(?=\s*(?:[.,;:!)]|$|\s+(?:miserably|badly|completely)))",
    r"(?:it|this|that|they|which|attempts?|experiments?|ideas?)\s+(?:\w+\s+)?failed\b",
    r"(?:led|leads?|caused?|causes|resulted|results?)\s+(?:\w+\s+)?(?:to|in)\s+(?:\w+\s+)?overfit\w*",
    r"overfit(?:s|ted|ting)?\s+(?:\w+\s+)?(?:badly|heavily|a\s+lot|too\s+much|quickly|severely|strongly|"
    r"(?:to\s+)?(?:the\s+)?(?:public\s+)?(?:lb|leaderboard))\b",
    r"(?:too\s+much|severe|heavy|strong)\s+overfitting\b",
    r"(?:we|i|so|then|and|eventually|later|finally)\s+(?:\w+\s+)?(?:abandoned|discarded|ditched|scrapped|"
    r"gave\s+up)\b",
    r"(?:was|were|got|been|is|are)\s+(?:\w+\s+)?(?:abandoned|discarded|ditched|scrapped)\b",
    r"(?:we|i)\s+(?:\w+\s+)?dropped\s+(?:it|this|that|them|these|those|the\s+idea|the\s+approach)\b",
    r"(?:it|this|that|they|these|which)\s+(?:was|were)\s+(?:\w+\s+)?(?:dropped|removed|excluded)\b",
    r"(?:didn['’]t|did\s+not|no)\s+(?:have\s+)?(?:enough\s+)?time\s+to\b|not\s+(?:yet\s+)?tried\b",
    r"(?:didn['’]t|did\s+not|haven['’]t|have\s+not)\s+(?:get\s+to\s+)?try\b|would\s+like\s+to\s+try\b",
    r"worth\s+trying\b|future\s+work\b",
    r"too\s+(?:slow|expensive|costly|noisy|unstable)\b",
    r"unable\s+to\b",
)
# "X was worse than Y": mentions before the cue are marked
_COMP_BEFORE = _at_word_start(
    r"(?:worse|weaker|poorer|less\s+(?:accurate|effective|useful|helpful|robust|stable))(?:\s+\w+)?\s+than\b",
    r"not\s+as\s+(?:good|effective|accurate|strong|useful)\s+as\b", r"inferior\s+to\b", r"underperform\w*",
    r"lost\s+to\b", r"was\s+(?:beaten|outperformed|replaced)\s+(?:by|with)\b")
# "X beat Y", "instead of Y": mentions after the cue (up to with/by/using or punctuation) are marked
_COMP_AFTER = _at_word_start(
    r"(?:better|stronger|more\s+(?:accurate|effective|robust|stable))\s+than\b(?!\s+(?:without|not|no)\b)",
    r"outperform(?:s|ed|ing)?\b(?!\s+by\b)", r"beats?\b(?![\s-]+per\b)", r"superior\s+to\b", r"instead\s+of\b",
    r"rather\s+than\b")
_AFTER_STOP = re.compile(r"\b(?:with|by|using|for|and\s+(?:we|it|this|i))\b|[,;:(]")
_POS_CUES = _at_word_start(
    r"(?<!n['’]t\s)(?<!\bnot\s)(?:improv\w*|help(?:s|ed)?|boost\w*|gain\w*|better|increas\w*|higher)\b")
# a cue right after these words is a condition or a hypothesis, not a result
_NEG_EXCEPTION = re.compile(
    r"\b(?:until|till|when|if|after|once|while|whenever|stop\w*|assum\w*|whether|would|could|might|may|"
    r"prevent\w*|avoid\w*|from|against|reduc\w*)\s+(?:\w+\s+){0,3}$")
_NEG_EXCEPTION_AFTER = re.compile(r"^\s*(?:for|in|after|over|within)\s+\d+")
_WITHOUT_BEFORE = re.compile(
    r"\b(?:without|w/o|removing|dropping|excluding|disabling|turning\s+off)\s+(?:the\s+|any\s+|our\s+)?$")
_NOT_USED_BEFORE = re.compile(
    r"(?:^|[^\w])(?:no|not\s+using|never\s+used|without\s+using)\s+(?:\w+\s+)?$")
_TRIED = _at_word_start(r"(?:tried|try|trying|experimented|attempted|tested|explored|played\s+(?:around\s+)?with)\b")
# a clause that points back at the previous one: "It didn't help", "This idea failed", "Didn't help."
_BACK_REFERENCE = re.compile(
    r"\W*(?:(?:and|but|however|unfortunately|sadly|surprisingly|in\s+the\s+end|eventually|also),?\s+)?"
    r"(?:(?:it|this|that|they|these|those|which)\s+"
    r"(?:(?:also|only|just|actually|really|then|still|simply|slightly|even|never|clearly|again)\s+)?"
    r"(?:did|does|do|was|were|is|are|had|has|have|made|makes|gave|gives|hurt|hurts|seemed|seems|led|leads|"
    r"caused|causes|resulted|turned|ended|worsened|decreased|reduced|lowered|degraded|performed|brought|"
    r"yielded|got|gets|approach|idea|trick|change|modification|method|technique|addition|experiment|"
    r"attempt|one)\w*\b"
    r"|(?:both|neither|none|either)\b"
    r"|the\s+(?:results?|scores?|gains?|improvements?|effect|change)\b"
    r"|(?:didn['’]t|did\s+not|doesn['’]t|does\s+not|wasn['’]t|was\s+not|no\s+(?:improvement|gain|boost|"
    r"difference|effect|luck)|not\s+(?:helpful|useful|better)|worse|hurt|useless|failed)\b)")
_BUT_IT = re.compile(r"\W*but\s+(?:it|this|that|they)\b")
_CLAUSE_SPLIT = re.compile(
    r"\s*;\s*|,?\s+(?=(?:but|however|whereas|while|although|though|except\s+that|because|since|where)\b)"
    r"|,\s+(?=(?:and|so)\s+(?:we|i|it|this|that|they|these)\b)|\s*\(\s*|\s*\)\s*")


def _negative_cues(clause: str) -> list[re.Match]:
    found = []
    for m in _NEG_CUES.finditer(clause):
        if _NEG_EXCEPTION.search(clause[max(0, m.start() - 40):m.start()]):
            continue
        if _NEG_EXCEPTION_AFTER.match(clause[m.end():m.end() + 20]):
            continue
        found.append(m)
    return found


# --------------------------------------------------------------------------- sections
_NEG_HEADING = re.compile(
    r"n['’]t\s+(?:\w+\s+)?(?:work|help|improve|use|make)|\bnot\s+(?:\w+\s+)?(?:work|help|improve|use|used|make|"
    r"useful|helpful|included|tried)|\bfail\w*|\bunsuccessful|\bnegative\s+results?|\bno\s+(?:improvement|gain|"
    r"luck|success)|\bdead[\s-]+ends?|\bunused\b|\bdiscarded|\babandoned|\bdid\s+not\b|\bdidn['’]?t\b|"
    r"\bfuture\s+(?:work|ideas|directions|improvements)|\bideas?\s+(?:to|for)\s+(?:try|the\s+future)|"
    r"\bwould\s+(?:like\s+to\s+)?(?:try|have\s+tried)|\bwish\s+list|\btodo\b|\bdropped\b|\bdoesn['’]?t\b|"
    r"\bworse\b|\bwhat\s+i\s+would\s+do\s+differently|\bnot\s+in\s+the\s+final|\bcould\s+have\s+(?:tried|done)")
_POS_HEADING = re.compile(
    r"(?<!n['’]t\s)(?<!\bnot\s)\b(?:worked|works|helped|helps|successful)\b")
_ATX_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_SETEXT = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
_BOLD_LINE = re.compile(r"^[ \t]*(?:\*\*|__)([^*_\n]{2,120})(?:\*\*|__)[ \t]*:?[ \t]*$")
_LIST_ITEM = re.compile(r"^([ \t]*)(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_BOLD_LEVEL = 7
_MAY_HAVE_SECTIONS = re.compile(r"#|\*\*|__|:[ \t]*(?:\n|$)|\n[ \t]*(?:=+|-+)[ \t]*(?:\n|$)")


@lru_cache(maxsize=4096)
def _heading_negative(title: str) -> bool:
    """A negative section title ("What didn't work"), unless it is mixed ("What worked and what didn't")."""
    low = title.lower()
    return bool(_NEG_HEADING.search(low)) and not _POS_HEADING.search(low)


def _line_flags(text: str, heading_path: str) -> tuple[list[int], list[bool]]:
    """Start offset of each line and whether the line sits in a negative section.

    ``heading_path`` parts count as heading levels 1, 2, ...; a ``#`` heading inside the text
    replaces the parts at its level and below, a bold-only line acts as a level-7 heading, and a
    short line ending with ":" scopes the list that follows it.
    """
    path = [(i + 1, p.strip()) for i, p in enumerate(heading_path.split(">")) if p.strip()]
    negative_path = any(_heading_negative(t) for _, t in path)
    if not _MAY_HAVE_SECTIONS.search(text):
        return [0], [negative_path]
    lines = text.split("\n")
    starts, flags = [], []
    offset = 0
    colon: tuple[int, bool, bool] | None = None  # (indent, opened by a list item, negative)
    for i, line in enumerate(lines):
        starts.append(offset)
        offset += len(line) + 1
        stripped = line.strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        heading = _heading(line, nxt)
        if heading is not None:
            level, title = heading
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
            negative_path = any(_heading_negative(t) for _, t in path)
            colon = None
        elif colon is not None and stripped:
            indent = len(line) - len(line.lstrip())
            inside = indent > colon[0] if colon[1] else bool(_LIST_ITEM.match(line)) or indent > colon[0]
            if not inside:
                colon = None
        flags.append(negative_path or (heading is None and colon is not None and colon[2]))
        body = stripped.strip("*_ ")
        if heading is None and body.endswith(":") and len(body.split()) <= 12:
            indent = len(line) - len(line.lstrip())
            title_neg = _heading_negative(body) or bool(_negative_cues(body.lower()))
            colon = (indent, bool(_LIST_ITEM.match(line)), title_neg or (colon is not None and colon[2]))
    return starts, flags


def _heading(line: str, next_line: str) -> tuple[int, str] | None:
    """(level, title) when ``line`` is an ATX, setext or bold-only heading."""
    atx = _ATX_HEADING.match(line)
    if atx:
        return len(atx.group(1)), atx.group(2)
    stripped = line.strip()
    if stripped and _SETEXT.match(next_line) and not _SETEXT.match(line) and not _LIST_ITEM.match(line):
        return (1 if next_line.strip().startswith("=") else 2), stripped
    bold = _BOLD_LINE.match(line)
    if bold:
        return _BOLD_LEVEL, bold.group(1)
    return None


# --------------------------------------------------------------------------- extraction
@dataclass(frozen=True)
class Mention:
    """One technique mentioned in one sentence of a passage."""

    technique: str
    category: str
    start: int
    end: int
    snippet: str
    helped: bool


def _clauses(text: str, s: _Sentence) -> list[tuple[int, int, str]]:
    """(start, end, opening word) of each clause of a sentence, in absolute offsets."""
    out, pos = [], s.start
    opener = ""
    for m in _CLAUSE_SPLIT.finditer(text, s.start, s.end):
        if m.start() > pos:
            out.append((pos, m.start(), opener))
        pos = m.end()
        if "(" in m.group():
            opener = "("
        else:
            word = re.match(r"\s*(\w+)", text[m.end():m.end() + 12])
            opener = word.group(1).lower() if word else ""
    if s.end > pos:
        out.append((pos, s.end, opener))
    return out or [(s.start, s.end, "")]


def _snippet(text: str, s: _Sentence, start: int, end: int) -> str:
    if s.end - s.start <= SNIPPET_CHARS:
        return " ".join(text[s.start:s.end].split())
    half = (SNIPPET_CHARS - (end - start)) // 2
    lo = max(s.start, start - half)
    hi = min(s.end, lo + SNIPPET_CHARS)
    lo = max(s.start, hi - SNIPPET_CHARS)
    if lo > s.start:
        cut = text.find(" ", lo, start)
        lo = cut + 1 if cut != -1 else lo
    if hi < s.end:
        cut = text.rfind(" ", end, hi)
        hi = cut if cut != -1 else hi
    body = " ".join(text[lo:hi].split())
    return ("…" if lo > s.start else "") + body + ("…" if hi < s.end else "")


class _Reader:
    """Per-passage analysis, computed lazily once there is at least one match."""

    def __init__(self, text: str, heading_path: str):
        self.text = text
        self.low = lower_keeping_offsets(text)
        self.sentences = _sentences(text)
        self.sentence_starts = [s.start for s in self.sentences]
        self.line_starts, self.line_flags = _line_flags(text, heading_path)
        self._clauses: dict[int, list[tuple[int, int, str]]] = {}
        self._cues: dict[tuple[int, int], list[re.Match]] = {}

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect_right(self.sentence_starts, pos) - 1)

    def in_negative_section(self, pos: int) -> bool:
        return self.line_flags[max(0, bisect_right(self.line_starts, pos) - 1)]

    def clauses(self, si: int) -> list[tuple[int, int, str]]:
        if si not in self._clauses:
            self._clauses[si] = _clauses(self.low, self.sentences[si])
        return self._clauses[si]

    def cues(self, start: int, end: int) -> list[re.Match]:
        if (start, end) not in self._cues:
            self._cues[(start, end)] = _negative_cues(self.low[start:end])
        return self._cues[(start, end)]

    def polarity(self, si: int, start: int, end: int, spans: list[tuple[int, int]]) -> int:
        """+1 helped, -1 did not help / not used, 0 no reading (only "without X" with no cue)."""
        if self.in_negative_section(start):
            return -1
        clauses = self.clauses(si)
        ci = next((i for i, (a, b, _) in enumerate(clauses) if a <= start < b), len(clauses) - 1)
        reading = self._own_clause(clauses[ci], start, end)
        if reading is None and ci > 0 and clauses[ci][2] == "(" and self.cues(*clauses[ci - 1][:2]):
            return -1  # "we skipped heavy encoders (X, Y)": the aside inherits its clause's cue
        if reading is not None:
            return reading
        return -1 if self._negative_follow_up(si, ci, end, spans) else 1

    def _own_clause(self, clause_span: tuple[int, int, str], start: int, end: int) -> int | None:
        """The reading from the mention's own clause, or None when the clause says nothing."""
        c_start, c_end, _ = clause_span
        clause = self.low[c_start:c_end]
        before = self.low[max(c_start, start - 40):start]
        cues = self.cues(c_start, c_end)
        if _WITHOUT_BEFORE.search(before):
            if cues:
                return 1
            return -1 if _POS_CUES.search(clause) else 0
        if cues or _NOT_USED_BEFORE.search(before):
            return -1
        rel_start, rel_end = start - c_start, end - c_start
        if any(m.start() >= rel_end for m in _COMP_BEFORE.finditer(clause)):
            return -1
        for m in _COMP_AFTER.finditer(clause):
            if m.end() <= rel_start:
                stop = _AFTER_STOP.search(clause, m.end())
                if stop is None or stop.start() >= rel_end:
                    return -1
        return None

    def _negative_follow_up(self, si: int, ci: int, end: int, spans: list[tuple[int, int]]) -> bool:
        """"We tried X, but ...", "X (worse LB)", or a next clause/sentence like "It didn't help"."""
        clauses = self.clauses(si)
        if ci + 1 < len(clauses):
            c_start, c_end, _ = clauses[ci]
            n_start, n_end, opener = clauses[ci + 1]
            # "we tried several models (X, Y), but ...": the aside belongs to the clause before it
            tried = _TRIED.search(self.low, c_start, c_end) or (
                clauses[ci][2] == "(" and ci > 0 and _TRIED.search(self.low, *clauses[ci - 1][:2]))
            if opener == "but" and tried:
                # only "we tried X, but it helped" rescues X; "but Y was better" does not
                rescued = (_BUT_IT.match(self.low, c_end, n_end) and _POS_CUES.search(self.low, n_start, n_end)
                           and not self.cues(n_start, n_end))
                if not rescued:
                    return True
            if opener == "(" and not re.search(r"[,;:]", self.low[end:c_end]):
                return self._cue_without_mention(n_start, n_end, spans)
            return bool(_BACK_REFERENCE.match(self.low, n_start, n_end)) and self._cue_without_mention(
                n_start, n_end, spans)
        if si + 1 < len(self.sentences) and not self.sentences[si].hard_end:
            n_start, n_end, _ = self.clauses(si + 1)[0]
            return bool(_BACK_REFERENCE.match(self.low, n_start, n_end)) and self._cue_without_mention(
                n_start, n_end, spans)
        return False

    def _cue_without_mention(self, start: int, end: int, spans: list[tuple[int, int]]) -> bool:
        return not any(start <= a < end for a, _ in spans) and bool(self.cues(start, end))


def _url_spans(text: str) -> list[tuple[int, int]]:
    if "://" not in text and "www." not in text and "@" not in text and "](" not in text:
        return []
    return [m.span() for m in _URL_RE.finditer(text)]


def extract(text: str, vocab: Vocabulary, heading_path: str = "") -> list[Mention]:
    """Technique mentions in ``text`` (one per technique per sentence), in order of appearance."""
    if not text:
        return []
    hits = list(vocab.matcher().find(text))
    if not hits:
        return []
    urls = _url_spans(text)
    if urls:
        hits = [h for h in hits if not any(a <= h[1] < b for a, b in urls)]
        if not hits:
            return []
    reader = _Reader(text, heading_path or "")
    spans = [(s, e) for _, s, e in hits]
    by_key: dict[tuple[int, str], list] = {}
    order: list[tuple[int, str]] = []
    for tech, start, end in hits:
        si = reader.sentence_of(start)
        key = (si, tech.name)
        if key not in by_key:
            by_key[key] = [tech, start, end, 0, 0]
            order.append(key)
        vote = reader.polarity(si, start, end, spans)
        if vote > 0:
            by_key[key][3] += 1
        elif vote < 0:
            by_key[key][4] += 1
    out = []
    for si, name in order:
        tech, start, end, pos, neg = by_key[(si, name)]
        out.append(Mention(technique=tech.name, category=tech.category, start=start, end=end,
                           snippet=_snippet(text, reader.sentences[si], start, end), helped=pos > neg))
    return out


def summarize(mentions: Iterable[Mention]) -> dict[str, bool]:
    """Technique -> helped, for a set of mentions (typically one passage).

    A technique counts as helped when its helped mentions outnumber its not-helped ones; a tie is
    not helped, because recommending something that failed is worse than missing a success.
    """
    score: dict[str, int] = {}
    for m in mentions:
        score[m.technique] = score.get(m.technique, 0) + (1 if m.helped else -1)
    return {name: s > 0 for name, s in score.items()}


__all__ = ["Mention", "extract", "summarize"]
