"""Facts about a document that the answer relies on, read from the document itself.

- ``parse_rank``: the rank a write-up reports ("1st place", "finished 3rd", "Rank 8/1140"), for
  when the catalog has none;
- ``writeup_kind``: whether it is a solution write-up at all (not a job story, an interview, a
  "coming soon" stub, a README that only says how to run the code);
- ``named_competition``: a catalog competition that the text clearly names when it names none of
  the competitions it is linked to (the catalog links a Carvana write-up to a cervical-cancer
  competition).

Small pure functions tuned on the real corpus. Each prefers saying nothing to guessing: a wrong
fact removes or misplaces real evidence. ``kb.enrich`` stores their results in ``document_facts``.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from kb.store.read import facts_counts, has_facts

RULES_VERSION = "1"  # bump when a rule below changes: every document is re-read
TEXT_HEAD_CHARS = 1500  # a write-up states its own rank near the top
NAMED_HEAD_CHARS = 1500  # where another competition must be named to count
MAX_RANK = 10000


@dataclass(frozen=True)
class CompetitionRef:
    """A competition as ``named_competition`` sees it."""

    slug: str
    title: str


@dataclass(frozen=True)
class DocumentFacts:
    """One row of ``document_facts``."""

    document_id: int
    version: str
    text_sha256: str
    rank: int | None
    rank_source: str | None
    is_writeup: bool
    not_writeup_reason: str | None
    named_competition: str | None


# -- rank -------------------------------------------------------------------------------------

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
}
_ORD = r"(?:(?P<n>\d{1,5})\s?(?:st|nd|rd|th)\b|(?P<w>" + "|".join(_ORDINAL_WORDS) + r")\b)"
_OF = (r"(?:\s*/\s*|\s+(?:out\s+of|of|from|among)\s+(?:the\s+)?(?:about\s+|almost\s+|nearly\s+|over\s+|roughly\s+|"
       r"around\s+|more\s+than\s+|~\s*)?)(?P<of>\d[\d,]{0,6})")
_PLACE = r"(?:place[ds]?|position|prize|spot|finish)\b"
_VERB = (r"(?:finish(?:ed|ing)?|end(?:ed|ing)?(?:\s+up)?|plac(?:ed|ing)|rank(?:ed|ing|s)?|came(?:\s+in)?|"
         r"achiev(?:ed|ing)|got|get|secur(?:ed|ing)|took|won|win|reach(?:ed)?|earn(?:ed)?|land(?:ed)?|made|"
         r"brought\s+(?:me|us)\s+to|resulted\s+in|obtained|claimed|grabbed|positioned)")
_FILL = r"(?:\s+(?:in|at|on|to|the|a|an|me|us|our|my|final|overall|private|leaderboard|lb|with|as|team))*"
_QUALIFIED = r"(?=" + _OF + r"|\s+" + _PLACE + r"|\s+(?:on|in)\s+(?:the\s+)?(?:private\s+)?(?:lb|leaderboard)\b)"
_NUMBER = r"(?P<n>\d{1,5})\b(?!\s*(?:[%.,]\d|/\s*\d))"
_ONE = r"(?P<one>)"  # a form that means first place without a number

# strong forms say by themselves that the rank is the document's own ("finished 2nd", "Rank 8/1140");
# weak forms ("3rd place") count in a sentence that does not speak of another team
_STRONG = [
    re.compile(r"\brank(?:ed|ing)?s?\s*[:#]?\s*(?P<n>\d{1,5})" + _OF, re.I),  # Rank 8/1140, ranking 2 of 677
    re.compile(_ORD + r"(?:\s+" + _PLACE + r")?" + _OF + r"(?!\s*%)", re.I),  # 8th of 1140, 10th out of 504
    re.compile(r"\b(?:result|standing|placement)\s*[:=]?\s*(?P<n>\d{1,5})" + _OF, re.I),  # Result: 4/847
    re.compile(r"\b(?:top\s*\d+(?:\.\d+)?\s*%|rank(?:ing)?s?|place|position)\s*\(\s*(?P<n>\d{1,5})\s*/\s*"
               r"(?P<of>\d{2,7})\s*\)", re.I),  # Top 3% (7/336)
    re.compile(r"\(\s*(?P<n>\d{1,5})\s*/\s*(?P<of>\d{2,7})\s*(?:place|position|rank)\s*\)", re.I),  # (81 / 1588 place)
    re.compile(r"\b" + _VERB + _FILL + r"\s+(?:rank\s*)?" + _ORD + r"(?:\s+" + _PLACE + r")?", re.I),  # finished 2nd
    re.compile(r"\b" + _VERB + _FILL + r"\s+(?:rank\s*|#\s?)?(?P<n>\d{1,5})\b" + _QUALIFIED, re.I),  # placed #7 of 250
    re.compile(r"\b(?:private(?:\s+(?:lb|leaderboard))?|final)\s*(?:rank(?:ing)?|place|position|standing)?\s*[:#]?\s*"
               + _ORD, re.I),  # Private LB 34th, final standing: 2nd
    re.compile(r"\b(?:standing|placement|place|position|rank(?:ing)?)\s*[:=]\s*" + _ORD, re.I),  # Global Rank: 155th
    re.compile(_ORD + r"\s*(?:on\s+(?:the\s+)?)?private\b", re.I),  # 4th private / 1st public
    re.compile(r"\b(?:private\s+(?:lb|leaderboard)|final|lb|leaderboard)\s+(?:rank(?:ing)?|position|place|standing)"
               r"\s*(?:is|was|of)?\s*[:#]?\s*(?:" + _ORD.replace("?P<n>", "?P<n2>") + r"|#?" + _NUMBER + ")",
               re.I),  # private LB rank 12, the leaderboard position was 6th
    re.compile(r"\b(?:our|my)\s+(?:final\s+)?rank\s+(?:is|was)\s+#?" + _NUMBER, re.I),
    re.compile(r"(?m)^[\W_]*rank[\W_]*[:：][\W_]*(?P<n>\d{1,5})\s*(?:$|author\b|collaborators?\b|votes?\b)",
               re.I),  # the "Rank: 18" header of a copied Kaggle post
    re.compile(r"\b(?:this\s+is|code\s+(?:and\s+documentation\s+)?(?:of|for)|documentation\s+(?:of|for)|"
               r"repository\s+(?:of|for)|describes(?:\s+how\s+to\s+generate)?)\s+the\s+winning\s+"
               r"(?:solution|entry|submission)" + _ONE, re.I),  # the winning solution (the unique winner)
    re.compile(r"(?m)^[#\s]*(?:kaggle\s+(?:competition\s+)?)?winning\s+(?:solution|entry)\s+(?:for|to|of|in)\b" + _ONE,
               re.I),
    re.compile(r"(?:取得|获得|获|拿到|最终|排名)\s*第\s*(?P<n>\d{1,5})\s*名"),  # 取得第32名
    re.compile(r"排名\s*(?P<n>\d{1,5})\s*/\s*(?P<of>\d{1,7})"),  # 排名19/144
    re.compile(r"(?:최종|private\s*lb)\s*(?P<n>\d{1,5})\s*위", re.I),  # 최종 3위
    re.compile(r"(?P<n>\d{1,5})\s*위\s*(?:를|로|에|입상|달성|기록|차지)"),  # 3위를 차지
]
_WEAK = [
    re.compile(_ORD + r"\]?\s*[-–]?\s*" + _PLACE, re.I),  # 1st place, 2nd-place, third prize
    re.compile(r"#\s?(?P<n>\d{1,5})\s*(?:place|solution|finish|spot|position)\b", re.I),  # #1 solution
]
# titles (and headings) speak of their own document: these forms count there only
_TITLE_ONLY = [
    re.compile(_ORD + r"\]?\s*[-–]?\s*(?:solution|approach|entry|model|code|write-?up)\b", re.I),  # 21st solution
    re.compile(r"(?<![\w.])(?P<n>\d{1,4})\s*(?:place|位|名)(?!\s*%)", re.I),  # 37 place, 3位
    re.compile(r"第\s*(?P<n>\d{1,4})\s*名"),  # 第1名
    re.compile(r"\brank[-\s#:]*" + _NUMBER, re.I),  # Rank 14, rank14, Rank-5
    re.compile(r"\bprivate(?:\s+(?:lb|leaderboard))?[\s:#]*" + _NUMBER, re.I),  # Private 40
    re.compile(r"\((?P<n>\d{1,5})\s*/\s*(?P<of>\d{2,7})\s*[,;)]"),  # (75/4091, ...)
    re.compile(r"\btop[-\s]?1\b(?!\s*[%.,\d])(?=\s*-?\s*(?:solution|place|finish|spot|entry|approach)?\s*\W*$"
               r"|\s*-?\s*(?:solution|place|finish|spot|entry|approach)\b)" + _ONE, re.I),  # top-1 solution
]
# "winner's solution": first place in a title; not "prize-winning", not Kaggle's "Winning Model Documentation"
_WINNER = re.compile(r"(?<![-\w])(?:winn(?:er|ers)['’]?s?['’]?\s+(?:solution|approach|entry|code|model|write-?up)|"
                     r"winning\s+(?:solution|approach|entry|submission|code|model|method))\b(?!\s+documentation)"
                     + _ONE, re.I)
_HEADING = re.compile(r"(?m)^#{1,3}[ \t]+(?P<h>.+)$")
# a rank that is a percentage, a public-leaderboard position, or the author's standing on Kaggle
_NOT_A_RANK_AFTER = re.compile(
    r"^\s*(?:%|percent|percentile|\(?\s*(?:on\s+|in\s+)?(?:the\s+)?public\b"
    r"(?!\s+(?:lb|leaderboard)\s*[:=]?\s*\d*[.,]\d)|"
    r"in\s+the\s+(?:world|global|overall|user|kaggle|competitions?)\b|kaggler|on\s+kaggle\s*(?:[,.;!]|and\b|$)|"
    r"data\s+scientist|worldwide)", re.I)
# "2nd stage", "1st submission": an ordinal that counts something else (not after "place")
_NOT_A_RANK_NOUN = re.compile(
    r"^\s*(?:score|stage|level|layer|fold|epoch|round|iteration|attempt|submission|year|time|day|week|month|"
    r"edition|annual)\b", re.I)
_ENDS_WITH_PLACE = re.compile(_PLACE + r"$", re.I)
_NOT_A_RANK_BEFORE = re.compile(
    r"(?:\btop|\bpublic(?:\s+(?:lb|leaderboard))?|\bworld['’]?s|world-?wide|\bcurrent(?:ly)?|\bhighest|"
    r"[-(\w](?<!\bwinning)(?<!\bwinner)(?<!\bwinners)\s*-?\s*winn\w*)\W{0,3}$", re.I)
# forms that speak of another team: "the 1st place team used ...", "compared to 1st place",
# "last year's team, which finished first"
_OTHERS_AFTER = re.compile(
    r"^\W{0,3}(?:['’]s\b|team|teams|winner|solutions?\s+(?:by|from|was|were|is|used|uses|had|has)|"
    r"approach(?:es)?\s+(?:by|of|from)|used|uses|did|does|had|has|got|gets|pointed|kernel|notebook|"
    r"write-?up\s+(?:by|from)|:|score|models?\s+(?:by|from|of|was|is|used))", re.I)
_OTHERS_SUBJECT = re.compile(
    r"\b(?:he|she|they|his|her|their|them|who|whose|someone|somebody|person|winners?|last\s+year|previous(?:ly)?|"
    r"another|other\s+teams?|others|compared?|than|behind|unlike)\b", re.I)
_OTHERS_PREPOSITION = re.compile(
    r"(?:\b(?P<prev>\w+)\s+)?\b(?P<prep>from|by|of|like|to|than|with|in|on|see|read|reading|thanks?|congrat\w*|"
    r"inspired|similar|unlike|following)\s+(?:the\s+|a\s+|this\s+|that\s+)?(?:public\s+|private\s+|kaggle\s+)?$",
    re.I)
_OWN_OF = frozenset("part parts code repo repository implementation version summary overview description "
                    "documentation writeup write-up details explanation copy source".split())
_OWN_BEFORE = re.compile(r"\b(?:this|our|my)\s+$", re.I)
_SELF = re.compile(r"\b(?:i|we|our|my|me|us)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?;]\s|\n")


def _value(m: re.Match) -> int | None:
    groups = m.groupdict()
    for name in ("n", "n2"):
        if groups.get(name):
            return int(groups[name])
    if groups.get("w"):
        return _ORDINAL_WORDS[groups["w"].lower()]
    return 1 if groups.get("one") is not None else None


def _plausible(rank: int | None, m: re.Match) -> bool:
    if rank is None or not 0 < rank <= MAX_RANK:
        return False
    of = m.groupdict().get("of")
    return not of or int(of.replace(",", "")) >= rank


def _clean(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace("\u00a0", " ")


def _sentence_start(text: str, pos: int) -> int:
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, pos):
        start = m.end()
    return start


def _speaks_of_others(text: str, m: re.Match, *, weak: bool) -> bool:
    before = text[_sentence_start(text, m.start()):m.start()]
    if weak and not _OWN_BEFORE.search(before):
        if _OTHERS_AFTER.match(text[m.end():m.end() + 40]):
            return True
        prep = _OTHERS_PREPOSITION.search(before)
        if prep and not (prep["prep"].lower() == "of" and (prep["prev"] or "").lower() in _OWN_OF):
            return True
    hits = list(_OTHERS_SUBJECT.finditer(before))
    # "we were part of the team that ..." is ours again when a first person follows the marker
    return bool(hits) and not _SELF.search(before[hits[-1].end():])


def _not_a_rank(text: str, m: re.Match) -> bool:
    after = text[m.end():m.end() + 40]
    if _NOT_A_RANK_AFTER.match(after) or _NOT_A_RANK_BEFORE.search(text[max(0, m.start() - 25):m.start()]):
        return True
    return not _ENDS_WITH_PLACE.search(m.group(0)) and bool(_NOT_A_RANK_NOUN.match(after))


def _first(text: str, patterns: Sequence[re.Pattern], *, others_check: bool,
           weak: bool = False) -> tuple[int, int] | None:
    """(position, rank) of the earliest acceptable match of any pattern."""
    best: tuple[int, int] | None = None
    for pattern in patterns:
        for m in pattern.finditer(text):
            if best is not None and m.start() >= best[0]:
                break
            rank = _value(m)
            if rank is None or not _plausible(rank, m) or _not_a_rank(text, m):
                continue
            if others_check and _speaks_of_others(text, m, weak=weak):
                continue
            best = (m.start(), rank)
            break
    return best


def _title_rank(title: str) -> int | None:
    t = _clean(title).replace("_", " ")
    found = _first(t, [*_STRONG, *_WEAK, *_TITLE_ONLY, _WINNER], others_check=False)
    return found[1] if found else None


def parse_rank(title: str | None, text: str) -> tuple[int | None, str | None]:
    """The rank a write-up reports for itself, and where it says so (``"title"`` or ``"text"``).

    The title wins; in the text only the first ``TEXT_HEAD_CHARS`` characters count (headings there
    are read like titles), and forms that speak of other teams ("the 1st place team used ...") or
    are not ranks ("top 10%", "#1 Kaggler", "public LB 30th") are skipped. ``(None, None)`` when
    nothing reliable is found.
    """
    if title:
        rank = _title_rank(title)
        if rank is not None:
            return rank, "title"
    head = _clean(text[:TEXT_HEAD_CHARS])
    found = [f for f in (_first(head, _STRONG, others_check=True),
                         _first(head, _WEAK, others_check=True, weak=True)) if f]
    for h in _HEADING.finditer(head):
        line = h["h"].replace("_", " ")
        hit = _first(line, _TITLE_ONLY, others_check=True, weak=True)
        if hit:
            found.append((h.start("h") + hit[0], hit[1]))
    return (min(found)[1], "text") if found else (None, None)


# -- is it a write-up? ------------------------------------------------------------------------

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.S)
_URL = re.compile(r"https?://\S+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_METHOD = re.compile(
    r"\b(?:models?|modell?ing|trained|training|train|features?|network|networks|net|nets|ensembl\w*|blend\w*|"
    r"stack\w*|averag\w*|bagg\w*|xgboost|xgb|lightgbm|lgbm|catboost|gbm|gbdt|boost\w*|cnn|cnns|rnn|lstm|gru|"
    r"bert|roberta|deberta|transformers?|attention|regression|regressor|classifier|forest|trees?|"
    r"knn|neighbou?rs?|svm|svr|logistic|linear|bayes\w*|glove|word2vec|tf-?idf|embeddings?|cosine|"
    r"augment\w*|loss|fine-?tun\w*|u-?net|resnet\w*|resnext\w*|efficientnet\w*|vgg|inception|"
    r"convolution\w*|convnet\w*|epochs?|folds?|cross[- ]validation|validation|pseudo[- ]?label\w*|"
    r"pretrain\w*|pre-trained|backbone|encoder|decoder|architecture|layers?|dropout|optimi[sz]\w*|"
    r"hyper-?parameters?|heuristic\w*|algorithm\w*|hill[- ]climbing|annealing|solver|clustering|"
    r"segmentation|detection|post-?process\w*|pre-?process\w*|threshold\w*|weights?|ranking|"
    r"lag|rolling|aggregat\w*|encod\w*|imput\w*|neural|deep learning|machine learning|tfidf|n-?grams?)\b",
    re.I)
_STUB = re.compile(
    r"\b(?:coming\s+soon|will\s+be\s+(?:updated|added|released|published|uploaded|posted|available)|"
    r"to\s+be\s+(?:updated|added|continued|released|announced)|tbd|tba|todo|work\s+in\s+progress|wip|"
    r"under\s+construction|stay\s+tuned|(?:write-?up|details?|description)\s+(?:soon|later|pending))\b", re.I)
_ELSEWHERE = re.compile(
    r"\b(?:(?:article|post|blog|write-?up|paper|pdf|document(?:ation)?|thread|summary|description|details?|"
    r"interview|slides?)\b[^.\n]{0,60}\b(?:explains?|describes?|is\s+available|are\s+available|"
    r"can\s+be\s+found|here|at|on|in)\b|please\s+(?:see|read|refer|check)|published\s+the\s+code|"
    r"get\s+it\s+here|see\s+the\s+(?:original|blog|post|article|kaggle))", re.I)
_COURSE = re.compile(
    r"\b(?:will\s+be\s+graded|be\s+graded|project\s+rubric|your\s+completed\s+(?:code|project|notebook)|"
    r"in\s+this\s+project,?\s+you(?:['’]ll|\s+will))\b", re.I)
_TITLE_KINDS: list[tuple[str, re.Pattern]] = [
    ("interview", re.compile(r"\binterview(?:s|ed)?\b|\bAMA\b|ask\s+me\s+anything|profiling\s+top\s+kagglers",
                             re.I)),
    ("career story", re.compile(
        r"\b(?:my|a|current|new|dream|first)\s+(?:\w+\s+){0,2}job\b"
        r"(?!\s+(?:salar\w*|titles?|postings?|descriptions?|ads?|recommendations?|market))|\bjob\s+(?:search|hunt\w*|offers?|interviews?)\b|"
        r"\bcareers?\b|\bbecom(?:e|ing)\b.{0,40}\b(?:grandmaster|master|"
        r"world[’']?s?\s+(?:1st|first|#1|number\s+one))|\bachiev\w*\s+(?:\w+\s+){0,2}grandmaster", re.I)),
    ("question and answer", re.compile(r"^\s*quora\s*:", re.I)),
    ("advice, tutorial or tooling", re.compile(
        r"^\s*how\s+to\s+(?:get|win|become|start|succeed)\b|\btips\b|\bguide\s+to\b|\bintroduction\s+to\b|"
        r"\bplaybook\b|\bwhat\s+is\s+next\b|\bwhat['’]s\s+next\b|\bslides\b|\btoolbox\b|"
        r"\bbuild(?:ing)?\s+(?:your|a|my)\s+(?:own\s+)?(?:\w+\s+){0,2}(?:machine|rig|pc|workstation)\b|"
        r"\bthe\s+birth\s+of\b|\borgani[sz](?:e|ing)\s+(?:an?\s+)?(?:ml\s+|machine\s+learning\s+)?competition", re.I)),
    ("not about one competition", re.compile(
        r"\b(?:data\s+science|machine\s+learning|ml|kaggle|online)\s+competitions\b", re.I)),
]
NO_METHOD = "no method described (only links, setup or run steps)"
STUB_MAX_WORDS = 120
NO_METHOD_MAX_WORDS = 300
ELSEWHERE_MAX_WORDS = 200


def _prose(text: str) -> str:
    return _URL.sub(" ", _CODE_BLOCK.sub(" ", text))


def writeup_kind(title: str | None, text: str) -> tuple[bool, str | None]:
    """``(True, None)`` for a solution write-up, else ``(False, reason)``.

    Not write-ups: interviews, career stories, advice and tutorials that are not one
    competition's solution (recognised by their title); course assignments; "coming soon" stubs;
    short texts that describe no method (only run steps, or a pointer to the write-up elsewhere).
    Conservative: a README with install steps *and* a method description is a write-up, and a
    title that reports a rank ("2nd place ...") is always one.
    """
    t = _clean(title or "")
    ranked = _title_rank(t) is not None if t else False
    if t and not ranked:
        for reason, pattern in _TITLE_KINDS:
            if pattern.search(t):
                return False, reason
    prose = _prose(text)
    if _COURSE.search(prose[:3000]):
        return False, "course assignment"
    words = len(prose.split())
    methods = {m.group(0).lower() for m in _METHOD.finditer(prose)}
    cjk = len(_CJK.findall(prose)) > 50
    if words <= STUB_MAX_WORDS and _STUB.search(prose) and len(methods) <= 2 and not cjk:
        return False, "stub (the write-up is announced, not written)"
    if cjk:
        return True, None
    # a title with a rank speaks for the document: only a bare pointer to the write-up is not one
    if words <= ELSEWHERE_MAX_WORDS and len(methods) <= (0 if ranked else 2) and _ELSEWHERE.search(prose):
        return False, NO_METHOD
    if words <= NO_METHOD_MAX_WORDS and not methods and not ranked:
        return False, NO_METHOD
    return True, None


# -- which competition does the text name? ----------------------------------------------------

_GENERIC = frozenset("""
a an and the of for in on at to by with from vs or is are be as its it this that your you our we what do
kaggle competition competitions challenge challenges contest cup prize data dataset datasets science
bowl annual national international open round track task part edition season series playground episode
prediction predictions predict predicting forecast forecasting classification classify classifying
detection detect detecting recognition recognize recognise identification identify identifying
segmentation segment segmenting estimation estimate estimating analysis analytics modeling modelling
model models learning machine deep ai ml research google microsoft facebook amazon intel nvidia
image images video videos text texts audio sound speech signal signals time series tabular graph
new first second third fourth fifth sixth final global world large scale small big fast slow
score scoring rating ratings rank ranking recommendation recommendations recommender search system
user users customer customers product products sales store stores price prices demand
value values quality health medical clinical cancer disease diseases patient patients
question questions answer answers answering language natural understanding understand
object objects feature features network networks label labels labeling labelling
python notebook notebooks code getting started number grand after party public private meta know words
meets post state education visualize equity survival sharing chapter area objective hackathon
solution solutions approach winning winner winners team top place using based
accuracy algorithm algorithmic classifier embedding processing optimization transfer tracking translation
translate sequence stage level train cross local general match position placement finish results notes
course steps scripts report review reviews please myself something through toward truly partly making
learn introducing helping helpers problem problems practice power information insights content components
connection connections conditions confidence evaluate evaluating event effect effective efficient
expression generated generative graphs hierarchical imputation integration leaderboard localization
management matter measuring mechanisms media outcomes outlier package participation perturbations
predictor preference processes production properties prompt prompts prompting recognizing related
resolution return rules selection sensor space stable strength supervised surface tasks transaction
treatment trends uncertain uncertainty usage valued variants versus verification volume voting weather
multilabel multimodal offline online office duration delivery density device drawing driving financial
foundation fusion housing household inventory keyword launch linking marketing mathematics medicine
medicines mission money motion native nature navigation numbers paths population pricing pressure safety
scientific searches signaling smart stream trade travel universal engineered decoding denoising quick
""".split())
_TOKEN = re.compile(r"[^\W_]+")
_NAME_MIN_CHARS = 5  # a distinctive word shorter than this is too easily a common one
_MAX_TITLES_SHARING = 3  # a linked title's word that names it even when a few other titles have it


def _tokens(s: str) -> list[str]:
    return _TOKEN.findall(_clean(s))


@dataclass(frozen=True)
class _CatalogIndex:
    slugs: frozenset[str]
    distinctive: dict[str, str]  # lower-case title word → the one slug whose title has it
    sharing: dict[str, int]  # lower-case title word → how many titles have it
    titles: dict[str, list[tuple[str, tuple[str, ...]]]]  # first title token → (slug, title tokens)


@lru_cache(maxsize=8)
def _index(catalog: tuple[CompetitionRef, ...]) -> _CatalogIndex:
    owners: dict[str, set[str]] = {}
    for ref in catalog:
        for w in {t.lower() for t in _tokens(ref.title or "")}:
            owners.setdefault(w, set()).add(ref.slug)
    distinctive = {w: next(iter(s)) for w, s in owners.items()
                   if len(s) == 1 and len(w) >= _NAME_MIN_CHARS and w.isalpha() and w not in _GENERIC}
    titles: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for ref in catalog:
        tokens = tuple(_tokens(ref.title or ""))
        named = any(distinctive.get(t.lower()) == ref.slug for t in tokens)
        specific = [t for t in tokens if t.lower() not in _GENERIC]
        if tokens and (named or (len(tokens) >= 3 and len(specific) >= 2)):  # a title, not a common phrase
            titles.setdefault(tokens[0], []).append((ref.slug, tokens))
    return _CatalogIndex(frozenset(r.slug for r in catalog), distinctive,
                         {w: len(s) for w, s in owners.items()}, titles)


def _names_linked(ref: CompetitionRef, lowered: str, words: set[str], index: _CatalogIndex) -> bool:
    """Lenient: the slug, every specific word of the title, or one that at most a few titles share."""
    slug = ref.slug.lower()
    if len(slug) >= 4 and re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", lowered):
        return True
    title_words = {t.lower() for t in _tokens(ref.title or "")}
    specific = {w for w in title_words if w not in _GENERIC}
    if specific and specific <= words:  # "Santander Product Recommendation", "Landmark Retrieval 2021"
        return True
    title_words |= {p for p in slug.split("-") if p.isalpha()}
    return any(w in words for w in title_words
               if len(w) >= 4 and w not in _GENERIC and index.sharing.get(w, 1) <= _MAX_TITLES_SHARING)


_COMPOUND = re.compile(r"[^\W_]+(?:[-_/][^\W_]+)+")
_KAGGLE_URL = re.compile(r"kaggle\.com/(?:c|competitions)/([a-z0-9][\w-]*)", re.I)


def named_competition(text: str, title: str | None, linked: Sequence[CompetitionRef],
                      catalog: Sequence[CompetitionRef]) -> str | None:
    """The slug of a catalog competition the document clearly names while naming none it is linked to.

    The linked competitions are looked for leniently in the whole text (their slug, every specific
    word of their title, or a title word that at most a few catalog titles share). Another
    competition counts only when it is named clearly in the document's title or the first
    ``NAMED_HEAD_CHARS`` characters: its Kaggle URL, its full title with the catalog's capitals, or
    a word of its title that no other catalog title has (e.g. "Carvana") written as a name: in the
    document's title and twice in the text's beginning, never in lower case. ``None`` when the
    document is not linked, names a linked competition, or names nothing clearly.
    """
    if not linked:
        return None
    index = _index(catalog if isinstance(catalog, tuple) else tuple(catalog))
    full = f"{title or ''}\n{_clean(text)}"
    full_tokens = _tokens(full)
    words = {t.lower() for t in full_tokens}
    if any(_names_linked(ref, full.lower(), words, index) for ref in linked):
        return None
    head_text = _clean(text[:NAMED_HEAD_CHARS])
    head = f"{title or ''}\n{head_text}"
    tokens = _tokens(head)
    text_tokens = _tokens(head_text)
    doc_title = {t.lower() for t in _tokens(title or "")}
    own = {c.lower() for c in _COMPOUND.findall(title or "")}  # "kaggle-zorblax": a repository's name, not prose
    prose = _COMPOUND.sub(lambda m: " " if m.group(0).lower() in own else m.group(0), _URL.sub(" ", full))
    lower_case = {t for t in _tokens(prose) if t.islower()}
    skip = {ref.slug for ref in linked}
    scores: dict[str, tuple[int, int, int]] = {}  # slug → (kind of evidence, title length, count)
    for slug in {m.lower() for m in _KAGGLE_URL.findall(head)}:
        if slug in index.slugs and slug not in skip:
            scores[slug] = (2, 0, 1)
    for i, token in enumerate(tokens):
        for slug, title_tokens in index.titles.get(token, ()):
            if slug not in skip and tuple(tokens[i:i + len(title_tokens)]) == title_tokens:
                kind, length, n = scores.get(slug, (2, len(title_tokens), 0))
                scores[slug] = (kind, max(length, len(title_tokens)), n + 1)
    name_counts: dict[str, dict[str, int]] = {}
    for token in text_tokens:
        w = token.lower()
        slug = index.distinctive.get(w)
        if slug and slug not in skip and w in doc_title and w not in lower_case:  # names are not in lower case
            counts = name_counts.setdefault(slug, {})
            counts[w] = counts.get(w, 0) + 1
    for slug, counts in name_counts.items():
        n = max(counts.values())
        if n >= 2 and slug not in scores:
            scores[slug] = (1, 0, n)
    if not scores:
        return None
    return max(sorted(scores), key=lambda s: scores[s])  # "How Much Did It Rain? II" over "How Much Did It Rain?"


# -- reading the stored facts -----------------------------------------------------------------

def load_facts(conn: sqlite3.Connection) -> dict[int, DocumentFacts]:
    """Every document's stored facts by document id (empty before the first ``kb.enrich`` run)."""
    if not has_facts(conn):
        return {}
    rows = conn.execute(
        "SELECT document_id, version, text_sha256, rank, rank_source, is_writeup, not_writeup_reason,"
        " named_competition FROM document_facts").fetchall()
    return {r[0]: DocumentFacts(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7]) for r in rows}


__all__ = ["RULES_VERSION", "CompetitionRef", "DocumentFacts", "facts_counts", "has_facts", "load_facts",
           "named_competition", "parse_rank", "writeup_kind"]
