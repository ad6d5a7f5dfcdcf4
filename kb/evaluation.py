"""The in-repo evaluation (``kb eval``): what a competitor gets, against the strongest simple baseline.

Leave-one-competition-out. Every competition whose own write-ups credit at least one technique is
held out in turn: its write-ups are removed, the query is either its **catalog one-liner** (title,
one-line description, metric) or its **real page** (``Settings.descriptions``: the Kaggle overview
pages competitors paste), and ``recommend`` answers. The relevant set is what the held-out
competition's own write-ups credit as helping.

- **Specific** recall@10 / nDCG@10: relevant = those techniques minus the *table stakes* of the
  competition's modality (what a third of that modality's winning competitions credit, computed
  without it); predictions = the ranked list, table stakes removed likewise. A generic list cannot
  score here.
- **All-technique** recall@10 / nDCG@10: every credited technique against the answer's shares
  (how likely a winner of a similar competition is to credit each technique, table stakes included).
- Baselines: **global popularity** (techniques credited by the most winning competitions) and
  **modality popularity** (the same among competitions of the held-out competition's own modality —
  a one-line SQL query and the bar to beat), both computed without the held-out competition.
- **Similar competitions**: the share of the top 5 with the held-out competition's modality, and
  with its modality and task type.
- **Abstention**: texts unrelated to machine-learning competitions (written for this evaluation)
  must get "no close match"; real queries must not.
- **Known-item search**: the one-liner searched (top 50); MRR of the competition's own write-ups,
  hybrid vs dense-only vs keyword-only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.metrics import bootstrap_ci, mean, ndcg_at_k, recall_at_k, reciprocal_rank
from kb.recommend.corpus import CorpusData, competition_text, corpus_data
from kb.recommend.scoring import modality_rates, table_stakes

K = 10
MODES = ("hybrid", "dense", "keyword")
SEARCH_DEPTH = 50
SIMILAR_TOP = 5

# Text a user might paste by mistake or to test kb: nothing here describes an ML competition.
UNRELATED = (
    "asdkj qwpoeiru zmxncb alskdjf qpwoei",
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor",
    "Preheat the oven to 220 degrees, knead the dough for ten minutes and let it rise overnight.",
    "The council meeting on Tuesday approved the new parking rules for the old town square.",
    "Dear landlord, the heating in my flat has not worked since Monday, please send someone.",
    "She scored twice in the second half as the home side came back to win the derby.",
    "Terms and conditions: by using this site you agree to the processing of cookies.",
    "hello how are you today",
    "!!! ??? ### 12345 ... ---",
    "The quick brown fox jumps over the lazy dog while the cat sleeps on the sofa.",
)


def describe(row) -> str:  # noqa: ANN001 (sqlite3.Row)
    """What a competitor would paste: title, one-line description, metric (catalog fields only)."""
    return competition_text(row)


@dataclass(frozen=True)
class Truth:
    """Per competition index: the techniques its write-ups credit; which competitions can be held out."""

    data: CorpusData
    credited: np.ndarray  # competition × technique
    voters: np.ndarray  # competitions whose write-ups credit at least one technique

    def relevant(self, i: int) -> set[str]:
        names = self.data.technique_names
        return {names[t] for t in np.flatnonzero(self.credited[i])}

    def rates(self, i: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Without competition ``i``: its catalog modality's rates, the global rates, and the table stakes."""
        active = self.voters.copy()
        active[i] = False
        modalities = [self.data.comp_profile[s][0] for s in self.data.comp_slugs]
        rate, base = modality_rates(self.credited, modalities, active, modalities[i])
        return rate, base, table_stakes(rate, self.data.technique_names, self.credited[active].sum(axis=0))


def ground_truth(kb) -> Truth:  # noqa: ANN001
    data = corpus_data(kb)
    credited = data.credited(np.ones(len(data.doc_ids), dtype=bool))
    return Truth(data, credited, np.asarray(credited.any(axis=1)))


def popularity_ranking(rates: np.ndarray, names: Sequence[str]) -> list[str]:
    order = np.argsort(-rates, kind="stable")
    return [names[i] for i in order if rates[i] > 0]


def load_pages(folder: Path | None, slugs: Sequence[str]) -> dict[str, str]:
    """Real competition pages (``<slug>.md``, case-insensitive) for the competitions in ``slugs``."""
    if folder is None or not Path(folder).is_dir():
        return {}
    by_lower = {s.lower(): s for s in slugs}
    out = {}
    for path in sorted(Path(folder).glob("*.md")):
        slug = by_lower.get(path.stem.lower())
        if slug:
            out[slug] = path.read_text(encoding="utf-8", errors="replace")
    return out


def _scores(ranked: Sequence[str], relevant: set[str], stakes: set[str]) -> dict[str, float | None]:
    specific = relevant - stakes
    spec_ranked = [t for t in ranked if t not in stakes]
    return {"recall": recall_at_k(ranked, relevant, K), "ndcg": ndcg_at_k(ranked, relevant, K),
            "specific_recall": recall_at_k(spec_ranked, specific, K) if specific else None,
            "specific_ndcg": ndcg_at_k(spec_ranked, specific, K) if specific else None}


def evaluate_queries(kb, truth: Truth, queries: dict[str, tuple[str, int | None]], *,  # noqa: ANN001
                     progress: Callable[[str], None] | None = None, label: str = "") -> dict:
    """Recommend for each held-out competition's query and score the answer and the baselines."""
    data = truth.data
    names = data.technique_names
    per: dict[str, dict[str, list[float]]] = {m: {} for m in ("kb", "modality_popularity", "global_popularity")}
    similar_mod: list[float] = []
    similar_task: list[float] = []
    abstained = 0
    gains: dict[str, list[float]] = {"specific_recall": [], "recall": []}
    for n, (slug, (query, year)) in enumerate(sorted(queries.items()), 1):
        i = data.comp_index[slug]
        relevant = truth.relevant(i)
        modality_rate, global_rate, stake_list = truth.rates(i)
        stakes = set(stake_list)
        rec = kb.recommend(query, k=K, exclude_competition=slug, year=year)
        abstained += rec.abstained
        mine = {"kb": _scores([t.name for t in rec.techniques], relevant, stakes)}
        mine["kb"].update({k: v for k, v in _scores([t for t, _ in rec.shares], relevant, stakes).items()
                           if k in ("recall", "ndcg")})
        mine["modality_popularity"] = _scores(popularity_ranking(modality_rate, names), relevant, stakes)
        mine["global_popularity"] = _scores(popularity_ranking(global_rate, names), relevant, stakes)
        for method, scores in mine.items():
            for metric, value in scores.items():
                if value is not None:
                    per[method].setdefault(metric, []).append(value)
        for metric in gains:
            if mine["kb"][metric] is not None:
                gains[metric].append(mine["kb"][metric] - mine["modality_popularity"][metric])  # type: ignore[operator]
        own = data.comp_profile[slug]
        top = [data.comp_profile[c.slug] for c in rec.competitions[:SIMILAR_TOP]]
        if top:
            similar_mod.append(mean([p[0] == own[0] for p in top]))
            similar_task.append(mean([p[0] == own[0] and p[1] == own[1] for p in top]))
        if progress and (n % 25 == 0 or n == len(queries)):
            progress(f"{label}: {n}/{len(queries)} competitions")
    out: dict = {"competitions": len(queries),
                 "with_specific": len(per["kb"].get("specific_recall", [])),
                 "abstained": abstained}
    for method, metrics in per.items():
        out[method] = {f"{m}@10": round(mean(v), 4) for m, v in sorted(metrics.items())}
    out["gain_over_modality_popularity"] = {}
    for metric, values in gains.items():
        low, high = bootstrap_ci(values)
        out["gain_over_modality_popularity"][f"{metric}@10"] = {
            "mean": round(mean(values), 4), "ci95": [round(low, 4), round(high, 4)]}
    out["similar_top5_same_modality"] = round(mean(similar_mod), 4)
    out["similar_top5_same_modality_and_task"] = round(mean(similar_task), 4)
    return out


def abstention(kb, texts: Sequence[str] = UNRELATED) -> dict:  # noqa: ANN001
    """How many unrelated texts get "no close match"."""
    answers = [kb.recommend(t, k=K) for t in texts if _has_words(t)]
    return {"texts": len(texts), "abstained": sum(r.abstained for r in answers) + sum(not _has_words(t) for t in texts),
            "answered": [r.query for r in answers if not r.abstained]}


def _has_words(text: str) -> bool:
    from kb.errors import EmptyQueryError
    from kb.search.engine import clean_query

    try:
        clean_query(text)
    except EmptyQueryError:
        return False
    return True


def known_item(kb, truth: Truth, rows: Sequence) -> dict[str, float]:  # noqa: ANN001
    data = truth.data
    mrr: dict[str, list[float]] = {m: [] for m in MODES}
    for row in rows:
        own = {str(d) for d in data.comp_docs.get(row["slug"], ())}
        for mode in MODES:
            results = kb.search(describe(row), k=SEARCH_DEPTH, mode=mode)
            mrr[mode].append(reciprocal_rank([str(r.document_id) for r in results], own))
    return {m: round(mean(v), 4) for m, v in mrr.items()}


def run_evaluation(kb, *, limit: int | None = None, pages: Path | None = None,  # noqa: ANN001
                   progress: Callable[[str], None] | None = None) -> dict:
    """The whole evaluation; ``pages`` defaults to ``Settings.descriptions``."""
    start = time.perf_counter()
    truth = ground_truth(kb)
    data = truth.data
    cases = [s for s in data.comp_slugs if truth.voters[data.comp_index[s]]][:limit]
    rows = [data.comp_info[s] for s in cases]
    one_liners = {r["slug"]: (describe(r), r["year"]) for r in rows}
    page_text = load_pages(pages if pages is not None else kb.settings.descriptions, cases)
    report: dict = {
        "competitions": len(cases), "documents": len(data.doc_ids), "model": kb.model_id, "k": K,
        "one_liner": evaluate_queries(kb, truth, one_liners, progress=progress, label="one-liners"),
    }
    if page_text:
        report["page"] = evaluate_queries(kb, truth, {s: (t, None) for s, t in page_text.items()},
                                          progress=progress, label="pages")
        report["one_liner_on_page_competitions"] = evaluate_queries(
            kb, truth, {s: one_liners[s] for s in page_text}, label="one-liners of the paged competitions")
    report["abstention"] = abstention(kb)
    report["known_item_mrr"] = known_item(kb, truth, rows)
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def learning_curve(kb, *, fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0), seeds: int = 3,  # noqa: ANN001
                   limit: int | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """How specific recall grows with the number of write-ups: for each fraction, keep that share of
    the documents (``seeds`` random draws; the held-out competition's relevant set stays whole) and
    score ``recommend`` against modality popularity computed on the kept ones."""
    truth = ground_truth(kb)
    data = truth.data
    names = data.technique_names
    cases = [s for s in data.comp_slugs if truth.voters[data.comp_index[s]]][:limit]
    all_docs = sorted(int(d) for d in data.doc_ids)
    modalities = [data.comp_profile[s][0] for s in data.comp_slugs]
    points = []
    for fraction in fractions:
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        draws = 1 if fraction == 1 else seeds
        mine: list[float] = []
        popular: list[float] = []
        for seed in range(draws):
            kept = set(random.Random(seed).sample(all_docs, round(fraction * len(all_docs))))
            dropped = [d for d in all_docs if d not in kept]
            credited = data.credited(data.mask(None, dropped))
            for slug in cases:
                i = data.comp_index[slug]
                active = np.asarray(credited.any(axis=1))
                active[i] = False
                rate, _ = modality_rates(credited, modalities, active, modalities[i])
                stakes = set(table_stakes(rate, names, credited[active].sum(axis=0)))
                specific = truth.relevant(i) - stakes
                if not specific:
                    continue
                row = data.comp_info[slug]
                rec = kb.recommend(describe(row), k=K, exclude_competition=slug, year=row["year"],
                                   exclude_documents=dropped)
                mine.append(recall_at_k([t.name for t in rec.techniques if t.name not in stakes], specific, K))
                baseline = [t for t in popularity_ranking(rate, names) if t not in stakes]
                popular.append(recall_at_k(baseline, specific, K))
        points.append({"fraction": fraction, "documents": round(fraction * len(all_docs)), "draws": draws,
                       "recommend_specific_recall@10": round(mean(mine), 4),
                       "modality_popularity_specific_recall@10": round(mean(popular), 4),
                       "gain": round(mean(mine) - mean(popular), 4)})
        if progress:
            progress(f"fraction {fraction}: gain {points[-1]['gain']:+.3f}")
    return {"competitions": len(cases), "documents": len(all_docs), "k": K, "points": points}


def format_learning_curve(report: dict) -> str:
    lines = [f"Learning curve on {report['competitions']} competitions ({report['documents']} documents)", "",
             "| share of write-ups | documents | kb specific recall@10 | modality popularity | gain |",
             "|---|---|---|---|---|"]
    for p in report["points"]:
        lines.append(f"| {p['fraction']:.0%} | {p['documents']} | {p['recommend_specific_recall@10']:.3f} | "
                     f"{p['modality_popularity_specific_recall@10']:.3f} | {p['gain']:+.3f} |")
    return "\n".join(lines)


def _block(title: str, part: dict) -> list[str]:
    lines = [f"### {title} ({part['competitions']} competitions, {part['with_specific']} with specific techniques)",
             "", "| method | specific recall@10 | specific nDCG@10 | all recall@10 | all nDCG@10 |",
             "|---|---|---|---|---|"]
    labels = {"kb": "kb recommend", "modality_popularity": "modality popularity",
              "global_popularity": "global popularity"}
    for method in ("kb", "modality_popularity", "global_popularity"):
        r = part[method]
        lines.append(f"| {labels[method]} | {r['specific_recall@10']:.3f} | {r['specific_ndcg@10']:.3f} | "
                     f"{r['recall@10']:.3f} | {r['ndcg@10']:.3f} |")
    g = part["gain_over_modality_popularity"]
    lines += ["", "gain over modality popularity: specific recall@10 "
                  f"{g['specific_recall@10']['mean']:+.3f} (95% CI {g['specific_recall@10']['ci95'][0]:+.3f} to "
                  f"{g['specific_recall@10']['ci95'][1]:+.3f}), all recall@10 {g['recall@10']['mean']:+.3f} "
                  f"(95% CI {g['recall@10']['ci95'][0]:+.3f} to {g['recall@10']['ci95'][1]:+.3f})",
              f"similar competitions, top 5: {part['similar_top5_same_modality']:.0%} same modality, "
              f"{part['similar_top5_same_modality_and_task']:.0%} same modality and task; "
              f"abstained on {part['abstained']} of {part['competitions']}"]
    return lines


def format_table(report: dict) -> str:
    lines = [f"Evaluation on {report['competitions']} competitions ({report['documents']} documents, "
             f"model {report['model']}), leave-one-competition-out", ""]
    lines += _block("Catalog one-liners", report["one_liner"])
    if "page" in report:
        lines += [""] + _block("Real competition pages", report["page"])
        lines += [""] + _block("The same competitions' one-liners", report["one_liner_on_page_competitions"])
    a = report["abstention"]
    lines += ["", f"Abstention: {a['abstained']} of {a['texts']} unrelated texts get \"no close match\"",
              "Known-item search MRR: " + ", ".join(f"{m} {v:.3f}" for m, v in report["known_item_mrr"].items())]
    return "\n".join(lines)
