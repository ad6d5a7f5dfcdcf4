"""The in-repo evaluation (``kb eval``).

(a) Leave-one-competition-out: each competition with write-ups is described from its catalog
    fields only; we recommend with that competition's documents excluded and score recall@10 and
    nDCG@10 against the techniques its own write-ups report as helping. Baselines: popularity
    (most frequent helping techniques, computed without that competition), dense-only and
    keyword-only retrieval.
(b) Known-item: the same description → rank of the competition's own write-ups in ``search``
    (MRR), for hybrid, dense and keyword retrieval.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from kb.metrics import bootstrap_ci, mean, ndcg_at_k, recall_at_k, reciprocal_rank
from kb.recommend_data import competition_text

K = 10
MODES = ("hybrid", "dense", "keyword")
SEARCH_DEPTH = 50


def describe(row) -> str:  # noqa: ANN001 (sqlite3.Row)
    """What a competitor would paste: title, one-line description, metric (catalog fields only)."""
    return competition_text(row)


def ground_truth(conn) -> tuple[dict[str, set[str]], dict[int, set[str]], dict[str, set[int]]]:  # noqa: ANN001
    """competition → helping techniques; document → helping techniques; competition → documents."""
    doc_tech: dict[int, set[str]] = defaultdict(set)
    for doc_id, tech in conn.execute(
            "SELECT DISTINCT c.document_id, ct.technique FROM chunk_techniques ct JOIN chunks c ON c.id = ct.chunk_id"
            " WHERE ct.helped = 1"):
        doc_tech[doc_id].add(tech)
    comp_docs: dict[str, set[int]] = defaultdict(set)
    for slug, doc_id in conn.execute(
            "SELECT co.slug, dc.document_id FROM document_competitions dc JOIN competitions co"
            " ON co.id = dc.competition_id"):
        comp_docs[slug].add(doc_id)
    comp_tech = {slug: set().union(*(doc_tech.get(d, set()) for d in docs)) for slug, docs in comp_docs.items()}
    return comp_tech, doc_tech, comp_docs


def popularity_ranking(doc_tech: dict[int, set[str]], exclude_docs: set[int], k: int = K) -> list[str]:
    counts: Counter[str] = Counter()
    for doc_id, techs in doc_tech.items():
        if doc_id not in exclude_docs:
            counts.update(techs)
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def _cases(conn, comp_tech: dict[str, set[str]], min_relevant: int = 1,  # noqa: ANN001
           limit: int | None = None) -> list:
    """Competitions to evaluate: those whose own write-ups report at least ``min_relevant`` helping techniques."""
    rows = conn.execute("SELECT slug, title, description, metric, year FROM competitions ORDER BY slug").fetchall()
    rows = [r for r in rows if len(comp_tech.get(r["slug"], ())) >= min_relevant]
    return rows[:limit] if limit else rows


def run_evaluation(kb, *, limit: int | None = None, min_relevant: int = 1,  # noqa: ANN001
                   progress: Callable[[str], None] | None = None) -> dict:
    conn = kb.conn
    comp_tech, doc_tech, comp_docs = ground_truth(conn)
    rows = _cases(conn, comp_tech, min_relevant, limit)
    rec_scores: dict[str, dict[str, list[float]]] = {m: {"recall": [], "ndcg": []} for m in (*MODES, "popularity")}
    mrr: dict[str, list[float]] = {m: [] for m in MODES}
    start = time.perf_counter()
    for i, row in enumerate(rows, 1):
        slug = row["slug"]
        query = describe(row)
        relevant = comp_tech[slug]
        for mode in MODES:
            rec = kb.recommend(query, k=K, exclude_competition=slug, mode=mode, year=row["year"])
            ranked = [t.name for t in rec.techniques]
            rec_scores[mode]["recall"].append(recall_at_k(ranked, relevant, K))
            rec_scores[mode]["ndcg"].append(ndcg_at_k(ranked, relevant, K))
            results = kb.search(query, k=SEARCH_DEPTH, mode=mode)
            own = {str(d) for d in comp_docs[slug]}
            mrr[mode].append(reciprocal_rank([str(r.document_id) for r in results], own))
        pop = popularity_ranking(doc_tech, comp_docs[slug])
        rec_scores["popularity"]["recall"].append(recall_at_k(pop, relevant, K))
        rec_scores["popularity"]["ndcg"].append(ndcg_at_k(pop, relevant, K))
        if progress and (i % 25 == 0 or i == len(rows)):
            progress(f"evaluated {i}/{len(rows)} competitions")
    gains = [a - b for a, b in zip(rec_scores["hybrid"]["recall"], rec_scores["popularity"]["recall"], strict=True)]
    low, high = bootstrap_ci(gains)
    return {
        "competitions": len(rows),
        "documents": conn.execute("SELECT count(*) FROM documents").fetchone()[0],
        "model": kb.model_id,
        "k": K,
        "recommend": {m: {"recall@10": round(mean(v["recall"]), 4), "ndcg@10": round(mean(v["ndcg"]), 4)}
                      for m, v in rec_scores.items()},
        "gain_over_popularity": {"recall@10": round(mean(gains), 4), "ci95": [round(low, 4), round(high, 4)]},
        "known_item_mrr": {m: round(mean(v), 4) for m, v in mrr.items()},
        "seconds": round(time.perf_counter() - start, 1),
    }


def learning_curve(kb, *, fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0), seeds: int = 3,  # noqa: ANN001
                   limit: int | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """How recommendation quality grows with the number of write-ups: for each fraction, keep that
    share of the documents (``seeds`` random draws; the held-out competition's own write-ups still
    define its relevant set) and score hybrid ``recommend`` against popularity on the kept ones."""
    conn = kb.conn
    comp_tech, doc_tech, comp_docs = ground_truth(conn)
    rows = _cases(conn, comp_tech, 1, limit)
    all_docs = sorted(r[0] for r in conn.execute("SELECT id FROM documents"))
    points = []
    for fraction in fractions:
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        draws = 1 if fraction == 1 else seeds
        recall: list[float] = []
        popular: list[float] = []
        for seed in range(draws):
            kept = set(random.Random(seed).sample(all_docs, round(fraction * len(all_docs))))
            dropped = {d for d in all_docs if d not in kept}
            for row in rows:
                slug = row["slug"]
                rec = kb.recommend(describe(row), k=K, exclude_competition=slug, year=row["year"],
                                   exclude_documents=dropped)
                recall.append(recall_at_k([t.name for t in rec.techniques], comp_tech[slug], K))
                pop = popularity_ranking(doc_tech, comp_docs[slug] | dropped)
                popular.append(recall_at_k(pop, comp_tech[slug], K))
        points.append({"fraction": fraction, "documents": round(fraction * len(all_docs)), "draws": draws,
                       "recommend_recall@10": round(mean(recall), 4), "popularity_recall@10": round(mean(popular), 4),
                       "gain": round(mean(recall) - mean(popular), 4)})
        if progress:
            progress(f"fraction {fraction}: gain {points[-1]['gain']:+.3f}")
    return {"competitions": len(rows), "documents": len(all_docs), "k": K, "points": points}


def format_learning_curve(report: dict) -> str:
    lines = [f"Learning curve on {report['competitions']} competitions ({report['documents']} documents)", "",
             "| share of write-ups | documents | recommend recall@10 | popularity recall@10 | gain |",
             "|---|---|---|---|---|"]
    for p in report["points"]:
        lines.append(f"| {p['fraction']:.0%} | {p['documents']} | {p['recommend_recall@10']:.3f} | "
                     f"{p['popularity_recall@10']:.3f} | {p['gain']:+.3f} |")
    return "\n".join(lines)


def format_table(report: dict) -> str:
    lines = [f"Evaluation on {report['competitions']} competitions ({report['documents']} documents, "
             f"model {report['model']})", "",
             "| method | recall@10 | nDCG@10 | known-item MRR |", "|---|---|---|---|"]
    labels = {"hybrid": "recommend, hybrid retrieval", "dense": "recommend, dense only",
              "keyword": "recommend, keyword only", "popularity": "popularity baseline"}
    for m in ("hybrid", "dense", "keyword", "popularity"):
        r = report["recommend"][m]
        mrr = report["known_item_mrr"].get(m)
        lines.append(f"| {labels[m]} | {r['recall@10']:.3f} | {r['ndcg@10']:.3f} | "
                     f"{'' if mrr is None else f'{mrr:.3f}'} |")
    gain = report.get("gain_over_popularity")
    if gain:
        lines += ["", f"recall@10 gain over popularity: {gain['recall@10']:+.3f} "
                      f"(95% bootstrap CI {gain['ci95'][0]:+.3f} to {gain['ci95'][1]:+.3f})"]
    return "\n".join(lines)
