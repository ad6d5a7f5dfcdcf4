"""Competition profiles: data modality, task type and metric family, inferred from catalog fields.

Keyword scoring: each modality has weighted phrases; the title counts most, then the one-line
description, then the metric name, then an optional write-up sample (weighted lower and capped so
a long text cannot outvote the catalog). A competition with no signal but a typical tabular metric
is tabular. The task type comes from the metric family where that is decisive (IoU → segmentation,
box mAP → detection, MAP@K → ranking, BLEU/Levenshtein → generation), else from keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MODALITIES = ("tabular", "image", "text", "audio", "signal/time series", "video", "graph/molecule",
              "simulation/game", "optimisation")
TASK_TYPES = ("classification", "regression", "segmentation", "detection", "ranking/retrieval", "generation",
              "forecasting", "game/agent", "optimisation")
METRIC_FAMILIES = ("auc", "logloss", "accuracy", "f-score", "rmse", "mae", "rmsle", "correlation", "map@k/ndcg",
                   "iou/dice", "map", "bleu/levenshtein", "qwk", "custom")

TITLE_WEIGHT = 1.5
DESCRIPTION_WEIGHT = 1.0
METRIC_WEIGHT = 1.0
TEXT_WEIGHT = 0.25
TEXT_CAP = 2.0  # the most a write-up sample can add to one modality
MIN_SCORE = 1.0


@dataclass(frozen=True)
class Profile:
    """What kind of competition this is; any field may be None when nothing decides it."""

    modality: str | None
    task_type: str | None
    metric_family: str | None


# (family, regex) in priority order: the first that matches the metric name wins
_METRIC_RULES: tuple[tuple[str | None, str], ...] = (
    (None, r"^\s*(?:-|score|postprocessorkernel(?:desc)?|all submissions score 1)?\s*$"),
    ("map", r"object\s*detection|objdetection|detectionap|obj\w*segmentationap|autodriving|"
            r"3dobjectdetection|event detection ap|visualrelations|objectlocalization|pkuautodriving|pascal voc|"
            r"mean average precision.{0,30}\biou\b|\bmap\b.{0,20}\biou\b"),
    ("iou/dice", r"intersection\s*over\s*union|\biou\b|dice|jaccard"),
    ("map@k/ndcg", r"map@|map\s*@|average precision at k|ndcg|\bmrr\b|averageamongtop|\bmap@\{k\}|globalap|"
                   r"retrieval"),
    ("bleu/levenshtein", r"bleu|rouge|levenshtein|chrf|word error rate|\bwer\b|edit distance"),
    ("qwk", r"kappa"),
    ("logloss", r"logarithmic loss"),
    ("rmsle", r"logarithmic|\brmsle\b|squared log error|\bmsle\b"),
    ("mae", r"absolute|mae\b|\bmape\b|smape|pinball|quantile|position error|haversine|angular\s*error|decimeter"),
    ("f-score", r"matthews|\bmcc\b"),
    ("correlation", r"correlation|pearson|spearman|\br value\b|\br2\b|r\^2|r-squared|coefficient of determination|"
                    r"cosine\s*similarity|concordance"),
    ("rmse", r"squared\s+(?:\w+\s+)?error|\brmse\b|\bmse\b|percentage error|\brmspe\b|rmsse|crps|continuous rank"),
    ("logloss", r"log\s*loss|logloss|multiclass loss|deviance|log likelihood|cross[- ]?entropy|kullback|brier"),
    ("auc", r"auc\b|aucroc|roc\b|receiver operating|gini|average precision|\bmap\b|cmap|\bap\b|lrap|"
            r"label ranking"),
    ("f-score", r"f-?score|f1\b|f[\s_-]?beta|fbeta|\bf\d\b|corrcoef"),
    ("accuracy", r"accuracy|% correct|error rate"),
    ("custom", r"halite|football|lux|kore|hungry geese|chess|rock, paper|santa|connectx|llm_20|20 questions|"
               r"game|metric|custom|score|happiness|trackml|sharpe|rideshare|bins|significance|circles|"
               r"darkworlds|trading|unlearn|defcon|flag|consequential|bracket|stability|\d{4,}"),
)

# Patterns are whole words (wrapped in \b...\b, case-insensitive); write stems as "segment\w*".
_MODALITY_KEYWORDS: dict[str, tuple[tuple[str, float], ...]] = {
    "image": (
        (r"images?|imagery|photos?|photographs?|pictures?|pixels?", 2.0),
        (r"x-?rays?|radiographs?|ct|ct scans?|mri|mammogra\w*|ultrasound|dicom|scans", 2.0),
        (r"satellite|aerial|from space|microscop\w*|histopatholog\w*|patholog\w*|slides|tissue|retin\w*|"
         r"fundus|lesions?|melanoma|skin cancer|cells? images|nuclei|glomerul\w*|charts?|plots|making graphs", 1.5),
        (r"segment(?:ation|s)?|masks?|bounding box\w*|object detection|detect objects", 1.5),
        (r"computer vision|visual|camera|landmarks?|faces?|facial|handwrit\w*|digits|mnist|cifar|imagenet|"
         r"doodles?|drawings?|paintings?|painter|artwork|art|monet|fashion|apparel|furniture|cactus|dogs?|cats?|"
         r"plankton|galax(?:y|ies)|wheat|starfish|seedlings?|leaf|leaves|plants?|cassava|herbarium|sea lions|"
         r"fish\w*|dolphins?|by its tail|flukes?|iceberg|ships?|clouds|contrails|steel|defects?|scrolls?|"
         r"ink|3d scenes|image matching|steganalysis|kuzushiji|grapheme|characters|street view|cervix|spine|"
         r"lumbar|fractures?|brain tumou?r|aneurysms?|trauma|pneumo\w*|embolism|hemorrhage|kidney|vasculature|"
         r"organs?|biomass|pets?|pawpularity|nerves?|tomogra\w*|cryo-?et|volumes|3d reconstructions?|"
         r"three-dimensional reconstructions?|biops\w*|gleason|chest|underwater|deep ocean|vehicle angle|"
         r"cultivars?|varietals|recogni[sz]ing hotels|histotypes?|animals|flowers?|lung|nodules?|printed text|"
         r"dirty documents|scanned", 1.0),
        (r"iwildcam|camera traps?|inaturalist|fine-grained|writer identification", 2.0),
        (r"species", 0.5),
    ),
    "text": (
        (r"text|texts|nlp|natural language|language models?|llms?|large language|gpt|gemma|gemini|chatbot|"
         r"prompts?|bert|essays?|writing|argumentative|arguments?|patient notes|clinical notes|key phrases|"
         r"phrases?", 2.0),
        (r"questions?|answers?|tweets?|twitter|sentiment|translat\w*|comments?|toxic\w*|reviews?|documents?|"
         r"wikipedia|sentences?|words?|summar\w*|writers?|authors?|readability|patents?|misconceptions?|"
         r"insults?|spoken forms|job descriptions|cipher\w*|keywords?|tags|notes|pii|spans?|recipes?|"
         r"ingredients|stack ?overflow|stack ?exchange|news|articles?|reasoning|math\w*|olympiad|code|python notebooks|"
         r"jigsaw|quora|poetry|corpus|pronouns?|entit(?:y|ies)|language|papers|references|citations", 1.0),
    ),
    "audio": (
        (r"audio|sounds?|acoustic|speech|spoken|voice|soundscapes?|birdcalls?|bird ?calls?|bird ?songs?|"
         r"birdclef|freesound|recordings? of|music tagging|sound bite|whale (?:calls?|detection|redux)|"
         r"right whale calls", 2.5),
        (r"birds?|frogs?|amphibians?|calls", 0.5),
    ),
    "signal/time series": (
        (r"eeg|ecg|meg|seizures?|brain activity|sensors?|accelerometer|wearable|wrist-worn|gyroscope|"
         r"time[- ]series|signals?|seismic|earthquakes?|waveforms?|volcanic|gravitational waves?|ion channels?|"
         r"ventilator|gait|sleep|power lines?|gnss|telematic\w*|trajector(?:y|ies)|radar|smartphone|"
         r"bio-?signals|neutrinos?|physics|particles?|exoplanets?|player movement|motion|tracking data|"
         r"water availability|aquifers?|pose estimates|poses?|keypoints|indoor|navigation|positioning|"
         r"ion switching|channels open|robots?|eye movements?", 1.5),
        (r"forecast\w*|traffic|energy|electricity|load|weather|rainfall|rain|wind|solar|stocks?|trading|"
         r"crypto\w*|financial|price movements?|volatility|visitors|web traffic|commodit\w*|inventory|realized",
         1.0),
        (r"sales|demand|markets?", 0.5),
    ),
    "video": (
        (r"videos?|footage|frames|youtube-?8m|deepfakes?|sign language|fingerspelling|gestures?|kinect|"
         r"video understanding|clips", 2.5),
    ),
    "graph/molecule": (
        (r"molecul\w*|chemical|chemistry|atoms?|proteins?(?! patterns| atlas)|rna|dna|mrna|enzymes?|"
         r"polymers?|mutations?|smiles|drugs?|compounds?|genes?|genetic|biological response|semiconductors?|"
         r"crystals?|materials", 1.5),
        (r"graphs?(?! accessible)|social networks?|edges|link prediction|circles|connectom\w*|neurons|wiring|"
         r"follow|model runtime|compute graphs?", 1.0),
    ),
    "simulation/game": (
        (r"agents?|simulations?|simulat\w*|halite|lux ai|lux|kore|hungry geese|connect ?x|rock,? paper|"
         r"football|soccer|play chess|chess ai|game ai|bots?|opponents?|your match|terraform|game of life|"
         r"kaggle environments", 2.0),
        (r"20 questions|candy cane", 6.0),
    ),
    "optimisation": (
        (r"santas?(?! clara)|santa's|optimi[sz]\w*|packing|traveling|travelling|salesman|tsp|scheduling|routing|"
         r"puzzles?|permutations?|hash code|drone delivery|traffic signaling|code golf|fewest|superpermutations?|"
         r"sleigh|gift matching|workshop|slideshow", 2.0),
    ),
    "tabular": (
        (r"playground series", 4.0),
        (r"tabular", 2.0),
        (r"customers?|insurance|loans?|credit|default|churn|claims|transactions?|"
         r"fraud|bank\w*|prices|housing|house|real estate|demographics?|census|click\w*|ctr|ads?|advertis\w*|"
         r"recommend\w*|purchases?|shoppers?|coupons?|products?|retail|survey|dataset|employees?|applicants?|"
         r"donors?|patients?|medical|health|hospital|taxi|trips?|bookings?|hotels?|features|anonymi[sz]ed|"
         r"categorical|variables|buyers?|sellers?|listings?|rental|mushrooms?|abalone|wine|students?|"
         r"ratings?|outcomes|predict(?:ing)? whether|analy\w*|insights?|explor\w*|tournaments?|ncaa|"
         r"basketball|world cup|teams?|players?|nfl|linemen|knowledge (?:states|tracing)|correctness|check ins",
         1.0),
    ),
}

_TABULAR_METRICS = {"auc", "logloss", "accuracy", "f-score", "rmse", "mae", "rmsle", "correlation", "qwk",
                    "map@k/ndcg"}

_CLASSIFICATION_METRICS = {"auc", "logloss", "accuracy", "f-score", "qwk"}
_SEGMENTATION_WORDS = r"segment\w*|masks?|outline|boundar(?:y|ies)|pixel-?wise"
_TASK_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("segmentation", _SEGMENTATION_WORDS),
    ("detection", r"object detection|bounding box\w*|locali[sz]\w*|"
                  r"detect objects|find (?:the )?(?:nuclei|ships|wheat)|count (?:the )?(?:number of )?\w+ in"),
    ("ranking/retrieval", r"retriev\w*|recommend\w*|rank\w*|search (?:results|relevance|engines?)|"
                          r"web search|match(?:ing)?|re-?identif\w*|"
                          r"find all of the same|embeddings?|representations"),
    ("generation", r"translat\w*|generat(?:e|es|ing)\s+(?:\w+\s+)?(?:text|images?|art|captions?|svg|code|"
                   r"programs?|answers?)|generative|create (?:art|images)|captions?|transcri\w*|recover the prompt|"
                   r"prompts?\b|text normali[sz]ation|spoken forms|convert"),
    ("forecasting", r"forecast\w*|future (?:sales|values|prices|demand|traffic|visitors)|"
                    r"predict (?:the )?upcoming|time[- ]series"),
)


@lru_cache(maxsize=64)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(r"\b(?:" + pattern + r")\b", re.IGNORECASE)


def metric_family(metric: str) -> str | None:
    """The family of a metric name ("Root Mean Squared Error" -> "rmse"); None when unknown or empty."""
    text = " ".join((metric or "").split())
    for family, pattern in _METRIC_RULES:
        if re.search(pattern, text, re.IGNORECASE):
            return family
    return None


def _score(text: str, weight: float, cap: float | None = None) -> dict[str, float]:
    scores: dict[str, float] = {}
    if not text:
        return scores
    for modality, rules in _MODALITY_KEYWORDS.items():
        total = 0.0
        for pattern, w in rules:
            hits = len(_compile(pattern).findall(text))
            if hits:
                total += w * (min(hits, 3) if cap is None else hits)
        total *= weight
        if cap is not None:
            total = min(total, cap)
        if total:
            scores[modality] = total
    return scores


def modality_scores(title: str, description: str = "", metric: str = "", text: str = "") -> dict[str, float]:
    """Weighted keyword scores per modality (exposed for debugging and tests)."""
    total: dict[str, float] = {}
    for part in (_score(title, TITLE_WEIGHT), _score(description, DESCRIPTION_WEIGHT),
                 _score(metric, METRIC_WEIGHT), _score(text[:20000], TEXT_WEIGHT, TEXT_CAP)):
        for k, v in part.items():
            total[k] = total.get(k, 0.0) + v
    return total


def _modality(scores: dict[str, float], family: str | None) -> str | None:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], MODALITIES.index(kv[0])))
    specific = [(m, s) for m, s in ranked if m != "tabular"]
    tabular = scores.get("tabular", 0.0)
    if specific and specific[0][1] >= MIN_SCORE and specific[0][1] > tabular * 0.75:
        return specific[0][0]
    if tabular >= MIN_SCORE or family in _TABULAR_METRICS:
        return "tabular"
    return specific[0][0] if specific else None


def _task_type(modality: str | None, family: str | None, words: str) -> str | None:
    if modality == "simulation/game":
        return "game/agent"
    if modality == "optimisation":
        return "optimisation"
    spatial = modality in ("image", "video")
    if family == "map" and spatial and _compile(_SEGMENTATION_WORDS).search(words):
        return "segmentation"  # instance segmentation scored with box-style AP
    by_metric = {"iou/dice": "segmentation", "map": "detection", "map@k/ndcg": "ranking/retrieval",
                 "bleu/levenshtein": "generation"}
    if family in ("map@k/ndcg", "bleu/levenshtein") or (family == "iou/dice" and spatial) or (
            family == "map" and (spatial or modality == "signal/time series")):
        return by_metric[family]
    for task, pattern in _TASK_KEYWORDS:
        if task in ("segmentation", "detection") and modality not in ("image", "video", None):
            continue
        if task == "forecasting" and family not in ("rmse", "mae", "rmsle", "correlation", None):
            continue
        if task == "generation" and family in _CLASSIFICATION_METRICS:
            continue
        if _compile(pattern).search(words):
            return task
    if family in _CLASSIFICATION_METRICS:
        return "classification"
    if family in ("rmse", "mae", "rmsle", "correlation"):
        return "regression"
    if re.search(r"\b(?:classif\w*|identify|categori[sz]\w*|detect\w*|recogni\w*|which|whether|"
                 r"distinguish|diagnos\w*)\b", words, re.IGNORECASE):
        return "classification"
    if re.search(r"\b(?:regression|how (?:much|many|long|fast|severe)|price|amount|value|revenue|count|estimate|"
                 r"predict\w*)\b", words, re.IGNORECASE):
        return "regression"
    return None


def infer_profile(title: str, description: str = "", metric: str = "", text: str = "",
                  task_text: str | None = None) -> Profile:
    """Profile a competition from its catalog title, one-line description, metric and an optional write-up.

    ``task_text`` (the goal sentences of a long page) decides the task type instead of the whole
    description, whose background paragraphs mention ranking, matching or generating in passing."""
    family = metric_family(metric)
    scores = modality_scores(title or "", description or "", metric or "", text or "")
    modality = _modality(scores, family)
    words = f"{title or ''} . {description if task_text is None else task_text}"
    task = _task_type(modality, family, words)
    if text and family is None and task in (None, "classification") and modality in ("image", "video"):
        task = _task_from_writeups(text) or task
    return Profile(modality=modality, task_type=task, metric_family=family)


_WRITEUP_SEGMENTATION = r"segment\w*|masks?|u-?net\w*|lovasz|dice loss|pixel-?wise"
_WRITEUP_DETECTION = r"bounding box\w*|bbox\w*|yolo\w*|faster r-?cnn|retinanet|efficientdet|wbf|weighted boxes|" \
                     r"\bnms\b|anchors?|object detection"
WRITEUP_TASK_HITS = 4  # mentions in the write-ups' openings that decide a task the catalog leaves open


def _task_from_writeups(text: str) -> str | None:
    """Segmentation or detection when the write-ups talk of little else (the catalog gave no metric)."""
    seg = len(_compile(_WRITEUP_SEGMENTATION).findall(text))
    det = len(_compile(_WRITEUP_DETECTION).findall(text))
    if seg >= WRITEUP_TASK_HITS and seg >= 2 * det:
        return "segmentation"
    if det >= WRITEUP_TASK_HITS and det >= 2 * seg:
        return "detection"
    return None


def modality_confidence(scores: dict[str, float], modality: str | None) -> float:
    """How sure the modality is, 0-1: its keyword score against the runner-up's, scaled down when the
    evidence is thin (one weak keyword) and zero when nothing decided it."""
    if not modality:
        return 0.0
    top = scores.get(modality, 0.0)
    rest = sorted((v for m, v in scores.items() if m != modality), reverse=True)
    second = rest[0] if rest else 0.0
    if top <= 0:
        return 0.3  # decided by the metric alone (a typical tabular metric)
    return min(1.0, top / 3.0) * top / (top + second)


__all__ = ["MODALITIES", "METRIC_FAMILIES", "TASK_TYPES", "Profile", "infer_profile", "metric_family",
           "modality_confidence", "modality_scores"]
