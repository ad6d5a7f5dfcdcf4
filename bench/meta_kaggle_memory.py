"""Meta Kaggle import memory: generate a dump with N ForumMessages rows, import it, report peak RSS.

Each size runs in its own process (peak RSS is per process), so the rows show whether memory grows
with the size of ForumMessages.csv (it should not: the file is streamed and only the wanted
write-ups are kept). The import uses the fake embedder so the model's memory is not measured.

    .venv/bin/python bench/meta_kaggle_memory.py                    # 100k and 1.2M rows
    .venv/bin/python bench/meta_kaggle_memory.py --sizes 1200000 --keep /tmp/meta
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPETITIONS = 200
TEAMS_PER_COMPETITION = 50
WRITEUPS_PER_COMPETITION = 10  # → 2,000 wanted messages whatever the dump size
MESSAGES_PER_TOPIC = 10
WORDS = ("model", "feature", "validation", "ensemble", "augmentation", "lag", "target", "encoding", "fold", "blend",
         "gradient", "boosting", "network", "epoch", "learning", "rate", "holdout", "leaderboard", "seed", "noise")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def generate(root: Path, messages: int, seed: int = 0) -> dict:
    """Write a Meta Kaggle-shaped dump with ``messages`` ForumMessages rows; return what it holds."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    topics = max(messages // MESSAGES_PER_TOPIC, COMPETITIONS * WRITEUPS_PER_COMPETITION)
    with (root / "Competitions.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Id", "Slug", "Title", "Subtitle", "HostSegmentTitle", "ForumId", "EnabledDate", "DeadlineDate",
                    "EvaluationAlgorithmAbbreviation", "RewardType", "RewardQuantity", "TotalTeams"])
        for c in range(COMPETITIONS):
            w.writerow([c + 1, f"bench-competition-{c}", f"Bench competition {c}", _sentence(rng, 6), "Featured",
                        1000 + c, "01/05/2019 00:00:00", "04/05/2019 23:59:00", "AUC", "USD", "10000", 500])
    with (root / "Teams.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Id", "CompetitionId", "TeamName", "Medal", "PublicLeaderboardRank", "PrivateLeaderboardRank",
                    "WriteUpForumTopicId"])
        for c in range(COMPETITIONS):
            for t in range(TEAMS_PER_COMPETITION):
                topic = c * WRITEUPS_PER_COMPETITION + t + 1 if t < WRITEUPS_PER_COMPETITION else ""
                w.writerow([c * TEAMS_PER_COMPETITION + t + 1, c + 1, f"team {t}", "", t + 2, t + 1, topic])
    with (root / "ForumTopics.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Id", "ForumId", "KernelId", "FirstForumMessageId", "LastForumMessageId", "CreationDate",
                    "LastCommentDate", "Title", "IsSticky", "TotalViews", "Score", "TotalMessages", "TotalReplies"])
        for t in range(topics):
            first = t * MESSAGES_PER_TOPIC + 1
            w.writerow([t + 1, 1000 + (t % COMPETITIONS), "", first, first + MESSAGES_PER_TOPIC - 1,
                        "04/06/2019 10:00:00", "", f"topic {t}: {_sentence(rng, 4)}", "False", 10, 1,
                        MESSAGES_PER_TOPIC, MESSAGES_PER_TOPIC - 1])
    wanted = COMPETITIONS * WRITEUPS_PER_COMPETITION
    with (root / "ForumMessages.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Id", "ForumTopicId", "PostUserId", "PostDate", "ReplyToForumMessageId", "Message", "RawMarkdown",
                    "Medal", "MedalAwardDate"])
        filler = [f"<p>{_sentence(rng, 30)}</p>\n<p>{_sentence(rng, 20)}</p>" for _ in range(64)]
        for m in range(messages):
            topic = m // MESSAGES_PER_TOPIC + 1
            if m % MESSAGES_PER_TOPIC == 0 and topic <= wanted:
                body = "\n\n".join(f"## Part {i}\n\n{_sentence(rng, 60)}" for i in range(6))
                w.writerow([m + 1, topic, 7, "04/06/2019 10:00:00", "", f"<p>{body}</p>", body, "", ""])
            else:
                w.writerow([m + 1, topic, 8, "04/06/2019 11:00:00 AM", m, filler[m % 64], "", "", ""])
    size = sum(p.stat().st_size for p in root.iterdir())
    return {"messages": messages, "topics": topics, "wanted": wanted, "dump_mb": round(size / 2**20, 1)}


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def child(messages: int, keep: Path | None) -> dict:
    """Generate, then import in this process; peak RSS is measured before and after the import."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ingest.meta_kaggle import ingest_meta_kaggle
    from kb.api import KnowledgeBase
    from kb.embed import FakeEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        root = (keep or Path(tmp)) / f"meta-{messages}"
        started = time.perf_counter()
        info = generate(root, messages)
        info["generate_s"] = round(time.perf_counter() - started, 1)
        kb = KnowledgeBase.open(Path(tmp) / "kb", embedder=FakeEmbedder(), model="fake")
        info["rss_before_import_mb"] = _peak_rss_mb()
        started = time.perf_counter()
        summary = ingest_meta_kaggle(kb, root)
        info["import_s"] = round(time.perf_counter() - started, 1)
        info["peak_rss_mb"] = _peak_rss_mb()
        d = summary.to_dict()
        info.update(documents=d["new"], failed=d["failed"], embedded_chunks=d["embedded_chunks"])
        kb.close()
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1200000", help="comma-separated ForumMessages row counts")
    ap.add_argument("--keep", type=Path, help="write the dumps here instead of a temporary folder")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.keep)))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--child", str(n)] + (["--keep", str(args.keep)] if args.keep else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores")
    print("| ForumMessages rows | dump MB | write-ups stored | generate s | import s | RSS before import MB "
          "| peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['messages']:,} | {r['dump_mb']} | {r['documents']:,} | {r['generate_s']} | {r['import_s']} "
              f"| {r['rss_before_import_mb']} | {r['peak_rss_mb']} |")


if __name__ == "__main__":
    main()
