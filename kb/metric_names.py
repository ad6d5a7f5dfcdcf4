"""Readable metric names: Kaggle's raw metric ids ("IntersectionOverUnionObjectSegmentation",
"CVPRAutoDrivingAveragePrecision", "WeightedMeanQuadraticWeightedKappa") as a reader expects them."""

from __future__ import annotations

import re

# whole ids (case-insensitive) with a name that splitting cannot produce
_KNOWN = {
    "intersectionoverunionobjectsegmentation": "Intersection over Union (object segmentation)",
    "intersectionoverunionobjectsegmentationwithclassification":
        "Intersection over Union (object segmentation with classes)",
    "intersectionoverunionobjectsegmentationbeta": "F2 over IoU thresholds (object segmentation)",
    "rsnaobjectdetectionap": "Average Precision over IoU thresholds (object detection)",
    "openimagesobjectdetectionap": "Open Images mean Average Precision (object detection)",
    "openimagesobjdetectionsegmentationap": "Open Images mean Average Precision (instance segmentation)",
    "openimagesvisualrelations": "Open Images visual-relationship mAP",
    "imagenetobjectlocalization": "ImageNet object-localisation error",
    "cvprautodrivingaverageprecision": "CVPR autonomous-driving Average Precision",
    "googleglobalap": "Global Average Precision",
    "postprocessorkernel": "custom (scored by a notebook)",
    "mcap": "Mean Column-wise Average Precision",
    "microf1": "Micro F1",
    "macrof1": "Macro F1",
    "mae": "Mean Absolute Error",
    "rmse": "Root Mean Squared Error",
    "rmsle": "Root Mean Squared Logarithmic Error",
    "auc": "Area Under the ROC Curve",
    "logloss": "Log Loss",
    "qwk": "Quadratic Weighted Kappa",
}
_ACRONYMS = {"ap": "AP", "auc": "AUC", "roc": "ROC", "iou": "IoU", "map": "mAP", "mae": "MAE", "rmse": "RMSE",
             "rmsle": "RMSLE", "f1": "F1", "r2": "R²", "llm": "LLM", "cvpr": "CVPR", "nfl": "NFL", "rsna": "RSNA",
             "bms": "BMS", "jpx": "JPX", "imc": "IMC", "maa": "mAA", "smape": "SMAPE", "mcc": "MCC"}
_SMALL = {"over", "of", "with", "at", "and", "or", "the", "a", "in", "on", "to", "for", "by", "per"}
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+\d*|\d+(?:\.\d+)?")


def readable_metric(metric: str | None) -> str | None:
    """A metric id made readable; names that already read well (they contain spaces) are kept."""
    if metric is None:
        return None
    raw = " ".join(str(metric).split())
    if not raw or raw in ("-",):
        return None
    key = re.sub(r"[\s_-]+", "", raw.lower())
    if key in _KNOWN:
        return _KNOWN[key]
    if " " in raw:
        return raw
    spaced = raw.replace("_", " ").replace("-", " ")
    camel = re.search(r"[a-z][A-Z]|[A-Z]{2}[a-z]", raw)
    words = _CAMEL.findall(spaced) if camel else spaced.split()
    if len(words) <= 1:
        return _ACRONYMS.get(raw.lower(), raw)
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if low in _ACRONYMS:
            out.append(_ACRONYMS[low])
        elif i and low in _SMALL:
            out.append(low)
        elif w.isupper() and len(w) > 1:
            out.append(w)
        else:
            out.append(w[:1].upper() + w[1:].lower())
    return " ".join(out)
