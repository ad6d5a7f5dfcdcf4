"""Read a competition page as a competitor pastes it: keep what describes the problem, drop the rest.

A Kaggle overview page is long markdown: description and context, data, evaluation (often LaTeX),
submission format, timeline, prizes, code requirements, acknowledgements, citation. Only the first
few say what the problem is; the others add words ("prize", "notebook", "deadline") that make every
page look alike. :func:`read_page` splits the page at its headings, keeps the sections that describe
the task, the data and the metric, pulls out the metric name and the constraints (code competition,
run-time limit, internet, external data), and drops the boilerplate. A one-line description goes
through unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# -- section kinds, decided by the heading's words ------------------------------------------------
KEEP, DATA, METRIC, SUBMISSION, RULES, DROP = "keep", "data", "metric", "submission", "rules", "drop"

_HEADING_KINDS: tuple[tuple[str, str], ...] = (
    (RULES, r"code requirements?|code competition|kernels? requirements?|notebook requirements?|"
            r"efficiency prize|submission requirements?|rules"),
    (METRIC, r"evaluation|metric|scoring|how (?:are|will) .* (?:scored|evaluated)|supervised ml evaluation|"
             r"root mean|mean squared|log ?loss|accuracy|dice|\bf\d|auc\b|kappa|correlation"),
    (SUBMISSION, r"submission (?:file|format|instructions)|submitting|sample submission|what should i submit"),
    (DROP, r"timeline|prizes?|awards?|citation|acknowledge?ments?|sponsors?|organi[sz]ing|collaborators?|"
           r"contributors?|partners?|about (?:the )?(?:host|sponsor|organi[sz]ers?)|faq|frequently asked|"
           r"getting started|tutorials?|resources|additional (?:resources|information)|license|licen[cs]ing|"
           r"leaderboard|writeup|write-up|early sharing|rubrics?|judges|special thanks|paper|publication|"
           r"workshop|conference|press|news|contact|team|host|innovation|cyber|official"),
    (DATA, r"data|dataset|files?|columns?|fields?|what am i predicting|training|test set|images?|"
           r"labels?|annotations?|metadata|folders?|structure"),
    (KEEP, r"overview|description|context|background|goal|objective|task|problem|challenge|introduction|"
           r"motivation|why|what|about"),
)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD_HEADING = re.compile(r"^\s{0,3}(?:\*\*|__)([^*_\n]{2,80})(?:\*\*|__)\s*:?\s*$")

# -- inline clean-up ---------------------------------------------------------------------------
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<!\\)\$(?!\s)([^$\n]{1,200}?)(?<!\s)\$")
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|textrm|operatorname|mbox)\{([^{}]*)\}")
_LATEX_CMD = re.compile(r"\\[A-Za-z]+|[{}_^]")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()]*\))+\)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HTML = re.compile(r"<[^>\n]{1,200}>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_DATE_LINE = re.compile(
    r"^\s*(?:[-*]\s*)?(?:start|close|merger deadline|entry deadline|final submission deadline|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}.*)\s*$", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")

# -- what the page says about the metric and the constraints --------------------------------
_METRIC_CUE = re.compile(
    r"(?:evaluated|scored|judged|ranked|assessed|measured)\s+(?:on|using|with|by|based on|according to|in terms of)\s+"
    r"|(?:evaluation\s+)?metric\s+(?:for|in|of)?\s*(?:this\s+(?:competition|challenge)\s+)?(?:is|will be|used is)\s+"
    r"|(?:competition|challenge)\s+(?:uses|is evaluated with)\s+"
    r"|\bmetric\s*[:=-]?\s+(?!is\b|will\b|used\b|for\b|in\b|of\b)",
    re.IGNORECASE)
_METRIC_END = re.compile(
    r"[.;:(\[]|,\s|\s(?:between|for each|for every|computed|calculated|which|where|that|across|on the|in the|over the|"
    r"at the|to the|and the|as|with)\b", re.IGNORECASE)
_METRIC_LEAD = re.compile(
    r"^(?:(?:the|a|an|their|its|standard|following|modified|weighted|custom|version|variant|of|on|two|metrics?)\s+)+",
    re.IGNORECASE)
_CONSTRAINTS: tuple[tuple[str, str], ...] = (
    ("code competition", r"this is a code competition|submissions? (?:to this competition )?must be made through"
                         r" (?:notebooks|kernels)|kernels?[- ]only"),
    ("run-time limit", r"(?:cpu|gpu|tpu)?\s*(?:notebooks?|kernels?)\s*<=?\s*\d+\s*(?:hours?|minutes?)|"
                       r"\d+\s*(?:hours?|minutes?)\s+run-?\s*time"),
    ("internet disabled", r"internet access (?:is )?disabled|no internet"),
    ("external data allowed", r"(?:freely|publicly) (?:&|and)? ?(?:publicly )?available external data is allowed|"
                              r"external data (?:is|are) (?:allowed|permitted)"),
    ("no external data", r"external data (?:is|are) not (?:allowed|permitted)|no external data"),
    ("efficiency prize", r"efficiency prize"),
    ("two-stage", r"two-stage competition|second stage|stage 2 (?:test|data)"),
)
_RUNTIME = re.compile(r"(?:(cpu|gpu|tpu)\s*)?(?:notebooks?|kernels?)\s*<=?\s*(\d+)\s*(hours?|minutes?)", re.IGNORECASE)

_DATE = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+"
                   r"((?:19|20)\d{2})\b", re.IGNORECASE)
_GOAL = re.compile(r"\b(?:goal|task|challenge|aim|objective)\b.{0,40}\b(?:is|will be)\b|\byou(?:'ll| will)?\s+"
                   r"(?:are\s+)?(?:challenged|asked|tasked|need|must|predict|build|develop|create|train|identify|"
                   r"classify|detect|segment|forecast|estimate)|\bpredict\b|\bin this competition\b", re.IGNORECASE)
GOAL_WORDS = 120  # the task type is read from the sentences that state the goal, not from the background

# words that say a text is about a prediction task, its data or its metric
_ML_CUES = re.compile(
    r"\b(?:predict\w*|classif\w*|detect\w*|segment\w*|forecast\w*|estimat\w*|identif\w*|recogni[sz]\w*|rank\w*|"
    r"recommend\w*|regress\w*|cluster\w*|match\w*|generat\w*|translat\w*|transcri\w*|locali[sz]\w*|"
    r"metric|scor\w*|accuracy|auc|roc|rmse|mae|loss|f1|dice|iou|map|ndcg|kappa|error|correlation|"
    r"data|dataset\w*|model\w*|train\w*|label\w*|features?|target|images?|photos?|texts?|tweets?|essays?|"
    r"signals?|sensors?|time[- ]series|tabular|nlp|vision|audio|speech|videos?|competition|kaggle|"
    r"leaderboard|submission\w*)\b", re.IGNORECASE)

MAX_FOCUS_WORDS = 900  # what the focus text keeps: the description first, then the data and the metric
MIN_PAGE_CHARS = 600  # shorter input is treated as a one-line description and kept whole


@dataclass(frozen=True)
class Page:
    """A competition page reduced to what describes the problem."""

    text: str  # the focus text: description, data and metric sections, cleaned
    title: str | None = None
    metric: str | None = None  # the metric's name as the page states it
    constraints: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # headings of the sections kept
    dropped: tuple[str, ...] = ()  # headings of the sections dropped as boilerplate
    is_page: bool = False  # False when the input was a short description, used as it is
    year: int | None = None  # the latest year of the page's dates (the competition's close)
    goal: str = ""  # the sentences that state what to do: where the task type is read
    sections: dict[str, str] = field(default_factory=dict, compare=False)  # kind -> cleaned text


def heading_kind(heading: str) -> str:
    """What a section with this heading is about (``keep``, ``data``, ``metric``, ``submission``,
    ``rules`` or ``drop``); unknown headings are kept."""
    words = " ".join(clean_inline(heading).lower().split())
    for kind, pattern in _HEADING_KINDS:
        if re.search(r"\b(?:" + pattern + r")\b", words):
            return kind
    return KEEP


def clean_inline(text: str) -> str:
    """Markdown, LaTeX, HTML and links reduced to plain words."""
    text = _DISPLAY_MATH.sub(" ", text)
    text = _LATEX_TEXT.sub(r"\1", text)
    text = _INLINE_MATH.sub(lambda m: " " + _LATEX_CMD.sub(" ", m.group(1)) + " ", text)
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _HTML.sub(" ", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("`", "")
    return _SPACES.sub(" ", text).strip()


def _sections(text: str) -> list[tuple[int, str, str]]:
    """(level, heading, body) in page order; text before the first heading has level 0 and heading ''.
    A bold line standing alone is a heading one level below the section it is in."""
    out: list[tuple[int, str, list[str]]] = [(0, "", [])]
    in_fence = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue  # sample submissions and code: format, not problem
        m = _HEADING.match(line)
        if m:
            out.append((len(m.group(1)), m.group(2).strip(), []))
            continue
        b = _BOLD_HEADING.match(line)
        if b:
            level = next((lv for lv, h, _ in reversed(out) if h and not h.startswith("\0")), 0)
            out.append((level + 1, "\0" + b.group(1).strip(), []))
            continue
        out[-1][2].append(line)
    return [(lv, h.lstrip("\0"), "\n".join(body)) for lv, h, body in out]


def _paragraphs(body: str) -> list[str]:
    paras: list[str] = []
    for block in re.split(r"\n\s*\n", body):
        lines = [ln for ln in block.split("\n") if ln.strip() and not _DATE_LINE.match(ln)]
        cleaned = clean_inline(" ".join(ln.strip().lstrip(">").strip() for ln in lines))
        if len(cleaned.split()) >= 3 or (cleaned and len(lines) == 1 and len(cleaned) > 12):
            paras.append(cleaned)
    return paras


def metric_name(text: str) -> str | None:
    """The metric a page names ("evaluated on a modified version of the F1 Score" -> "F1 Score")."""
    plain = clean_inline(text)
    for m in _METRIC_CUE.finditer(plain):
        rest = plain[m.end(): m.end() + 160]
        cut = _METRIC_END.search(rest)
        name = _METRIC_LEAD.sub("", (rest[: cut.start()] if cut else rest).strip()).strip(" .,:;\"'")
        if 2 < len(name) <= 80 and not re.match(r"^(?:how|whether|what|your|designed|based|determined)\b", name, re.I):
            return name
    return None


def constraints(text: str) -> tuple[str, ...]:
    """Constraints a page states: code competition, run-time limit (with its value), internet, external data."""
    found: list[str] = []
    lower = " ".join(clean_inline(text).lower().split())
    for name, pattern in _CONSTRAINTS:
        if re.search(pattern, lower):
            if name == "run-time limit":
                limits = sorted({f"{(m.group(1) or '').upper()} {m.group(2)} {m.group(3).rstrip('s')}s".strip()
                                 for m in _RUNTIME.finditer(lower)})
                name = f"run-time limit ({', '.join(limits)})" if limits else name
            found.append(name)
    if "no external data" in found and "external data allowed" in found:
        found.remove("no external data")
    return tuple(found)


def ml_cues(text: str) -> int:
    """How many words say the text is about a prediction task, its data or its metric."""
    return len(_ML_CUES.findall(text or ""))


def page_year(text: str) -> int | None:
    """The latest year among the page's calendar dates ("Nov 16, 2020" ... "May 11, 2021" -> 2021)."""
    years = [int(m.group(1)) for m in _DATE.finditer(text or "")]
    return max(years) if years else None


def goal_text(paragraphs: list[str], max_words: int = GOAL_WORDS) -> str:
    """The sentences that say what competitors must do ("Your challenge is to detect ..."), else the
    first ones."""
    sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p) if s.strip()]
    chosen = [s for s in sentences if _GOAL.search(s)] or sentences[:3]
    return " ".join(" ".join(chosen).split()[:max_words])


def _title(sections: list[tuple[int, str, str]], text: str) -> str | None:
    for _, heading, _ in sections:
        if heading and heading_kind(heading) == KEEP and not re.search(
                r"\b(?:overview|description|context|introduction|background|goal)\b", heading, re.IGNORECASE):
            words = clean_inline(heading)
            if 1 <= len(words.split()) <= 12:
                return words
        if heading:
            break
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    return clean_inline(first) if 0 < len(first.split()) <= 12 and not first.startswith("#") else None


def read_page(text: str, max_words: int = MAX_FOCUS_WORDS) -> Page:
    """The problem-describing part of a pasted page; short input is returned whole (cleaned)."""
    raw = text or ""
    if len(raw) < MIN_PAGE_CHARS and raw.count("\n") < 3:
        cleaned = clean_inline(raw)
        return Page(text=" ".join(cleaned.split()), metric=metric_name(raw), constraints=constraints(raw),
                    year=page_year(raw), goal=" ".join(cleaned.split()))
    sections = _sections(raw)
    kinds: dict[str, list[str]] = {KEEP: [], DATA: [], METRIC: [], SUBMISSION: []}
    kept: list[str] = []
    dropped: list[str] = []
    rules_text: list[str] = []
    stack: list[tuple[int, str]] = []  # (level, kind) of the enclosing headings
    for level, heading, body in sections:
        kind = heading_kind(heading) if heading else KEEP
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent = stack[-1][1] if stack else KEEP
        # a generic sub-section ("Files" under "Timeline", "Details" under "Prizes") inherits its parent's fate
        if heading and kind == KEEP and parent in (DROP, RULES):
            kind = parent
        if heading:
            stack.append((level, kind))
        if kind == RULES:
            rules_text.append(body)
            if heading:
                dropped.append(clean_inline(heading))
            continue
        if kind == DROP:
            if heading:
                dropped.append(clean_inline(heading))
            continue
        paras = _paragraphs(body)
        if paras:
            kinds[kind].extend(paras)
            if heading:
                kept.append(clean_inline(heading))
    metric_text = " ".join(kinds[METRIC])
    metric = metric_name(metric_text) or metric_name(" ".join(kinds[KEEP]))
    focus = _budget([(kinds[KEEP], 0.6), (kinds[METRIC][:2], 0.15), (kinds[DATA], 0.2), (kinds[SUBMISSION][:1], 0.05)],
                    max_words)
    return Page(text=focus, title=_title(sections, raw), metric=metric,
                constraints=constraints(raw + "\n" + "\n".join(rules_text)), kept=tuple(kept),
                dropped=tuple(dropped), is_page=True, year=page_year(raw),
                goal=goal_text(kinds[KEEP] + kinds[SUBMISSION][:1]),
                sections={k: " ".join(v) for k, v in kinds.items() if v})


def _budget(parts: list[tuple[list[str], float]], max_words: int) -> str:
    """Paragraphs of each part, in order, each part up to its share of ``max_words`` (unused shares pass on)."""
    out: list[str] = []
    spare = 0
    for paras, share in parts:
        budget = int(max_words * share) + spare
        used = 0
        for p in paras:
            words = p.split()
            if used >= budget:
                break
            take = words[: budget - used]
            out.append(" ".join(take))
            used += len(take)
        spare = budget - used
    return "\n\n".join(out)


__all__ = ["Page", "clean_inline", "constraints", "heading_kind", "metric_name", "ml_cues", "read_page"]
