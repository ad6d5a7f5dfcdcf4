"""``kb.docfacts``: rank, write-up or not, and the competition a text names, on hand-written inputs."""

from __future__ import annotations

import pytest

from kb.docfacts import CompetitionRef, named_competition, parse_rank, writeup_kind

# -- parse_rank -------------------------------------------------------------------------------


@pytest.mark.parametrize("title, rank", [
    ("1st place solution", 1),
    ("First Place Solution for the Zorblax Challenge", 1),
    ("Quillnet: 2nd-place solution", 2),
    ("Third Place Solution to the Frobnitz Cup", 3),
    ("Kaggle Plinko Forecasting - 8th Place Solution", 8),
    ("#1 solution for Quillnet", 1),
    ("(Rank 8/1140) Imitation learning for a board game", 8),
    ("Rank 17 - plain gradient boosting", 17),
    ("8th of 1140 teams: what worked", 8),
    ("Top-1 solution", 1),
    ("Winner's solution at the Frobnitz Cup", 1),
    ("Winners’ Solution at Zorb’s Widget Prediction Competition", 1),
    ("Zorblax Gliders - Winning Solution", 1),
    ("Private LB 34th / Public LB 30th solution", 34),
    ("10th place solution (23rd public)", 10),
    ("Public 3, Private 40 - keep it small", 40),
    ("Zorb Detection: 37th Place(Top 2%) Solution", 37),
    ("[8th] Place Solution for the [Widget Count] Competition", 8),
    ("\uff13rd Place - Diversity", 3),  # a full-width digit
    ("plinko_finder_6th_solution", 6),
    ("Quillnet 12th solution", 12),
    ("Zorb Widget Count (75/4091, silver)", 75),
    ("Zorb 比赛 第3名 方案", 3),
    ("Zorb 3位解法", 3),
    ("Placed 5th out of 300: notes", 5),
])
def test_rank_in_the_title(title, rank):
    assert parse_rank(title, "Some text without a rank.") == (rank, "title")


@pytest.mark.parametrize("title", [
    "Top 10% solution",
    "Top 100 solution - Zorb Segmentation",
    "Top-5% solution to the Quillnet Challenge",
    "Becoming world's 1st - my first competition",
    "Profiling Top Kagglers: Zed, Currently 1 in the World",
    "#1 Kaggler shares his tips",
    "1st and Future - Widget Contact Detection",
    "Second Annual Widget Bowl",
    "2nd Zorb Video Understanding Challenge",
    "Prize-winning solution to Zorb",
    "Winning Model Documentation",
    "How mixed precision kept me from winning a competition",
    "Rank 0",
    "Rank 20000/30000",
    "Rank 50/20",
    "Public LB 30th solution",
    "Kaggle Widget Top10 Solution",
])
def test_no_rank_in_the_title(title):
    assert parse_rank(title, "") == (None, None)


@pytest.mark.parametrize("text, rank", [
    ("We entered with a team of four and finished 2nd!\n\nThe approach follows.", 2),
    ("The Zorb challenge ended a few days ago, and I finished 10th out of 504 teams.", 10),
    ("In the end I finished fifth of the almost 700 competing teams.", 5),
    ("Our team ranked 5th on the private leaderboard.", 5),
    ("Final result: private LB rank 12, public LB rank 40.", 12),
    ("Together with a friend I finished at rank 10/656 in the Zorb tracking challenge.", 10),
    ("This document describes the 4th prize solution to the Plinko challenge.", 4),
    ("My final submission reached an RMSE of 1.23 which placed #7 out of ~250 teams.", 7),
    ("# zorb-widgets\n\n## 12th solution for the Zorb Widget Classification\n\nWe used trees.", 12),
    ("Rank: 25 Author: someone Collaborators: someone Votes: 12\n\nHello all.", 25),
    ("Final Standing: 2nd\nMinimum logloss: 0.42", 2),
    ("I was a part of the team that finished 9th with a score of 0.985.", 9),
    ("This model is part of the 7th place solution, which blends four models.", 7),
    ("Source code of the 14th place solution for the Zorb Salt Challenge.", 14),
    ("This is the winning solution to the Zorb Boson Challenge.", 1),
    ("Code and documentation for the winning solution in the Plinko EEG challenge.", 1),
    ("Kaggle Widget Challenge Third Place\n\nThe best submission blends two models.", 3),
    ("## 4th private/1st public\n\nWe segmented the widgets first.", 4),
    ("这个仓库包含了我在比赛中取得第32名的代码。", 32),
    ("成果：获得银牌，排名19/144。", 19),
    ("이번 대회에서 최종 3위를 차지했습니다.", 3),
    ("Top 1% rankings (22/3270) code for the Zorb housing challenge.", 22),
])
def test_rank_in_the_text(text, rank):
    assert parse_rank("zorb-widgets", text) == (rank, "text")


@pytest.mark.parametrize("text", [
    "The 1st place team used a gradient booster with many lag features.",
    "Compared to 1st place, our score was far lower.",
    "Thanks to the 2nd place solution by Alice, we learned a lot.",
    "We borrowed the augmentation from the 3rd place write-up.",
    "Last year's team, which finished in first place, used a smaller network.",
    "He finished 3rd in the spring edition.",
    "The augmentation was shared by a person who won the first place.",
    "We reached the top 10% of the leaderboard.",
    "We finished in the top 5% with a single model.",
    "The Zorb competition finished 2 days ago; here is our code.",
    "We use a 2nd stage model on top of the 1st stage predictions.",
    "The path to becoming rank #1 in the competitions ranking on Kaggle was long.",
    "Vladimir (Competitions Grandmaster, Ranked #97) answers questions.",
    "She holds the #1 spot on Kaggle, and has for a while.",
    "This document describes our winning submission to the Zorb challenge.",
    "Our score would have been 1st place on the public LB, which we were proud of.",
    "1위 모델의 점수는 0.48이었습니다.",
    "Starting from July 1st, 2015 until September 10th, 2017 the views were counted.",
])
def test_no_rank_in_the_text(text):
    assert parse_rank(None, text) == (None, None)


def test_the_title_wins_and_only_the_beginning_of_the_text_counts():
    assert parse_rank("3rd place solution", "We finished 5th out of 100 teams.") == (3, "title")
    late = "We describe the widget pipeline in detail. " * 40 + "In the end we finished 2nd out of 90 teams."
    assert len(late) > 1500
    assert parse_rank(None, late) == (None, None)


def test_the_first_own_rank_in_the_text_wins():
    text = "Ilka and Bo were part of the team that finished second.\n\nWe finished 9th out of 300 teams."
    assert parse_rank(None, text) == (2, "text")  # the first stated rank of a team the text is about
    text = "After his team finished 2nd in the spring, I luckily placed 3rd in the autumn."
    assert parse_rank(None, text) == (3, "text")


# -- writeup_kind -----------------------------------------------------------------------------

METHOD = ("We trained a convolutional network on rotated crops and blended five folds. Pseudo labels on the "
          "test set helped a little; the final ensemble averaged the models with weights chosen on the "
          "validation fold. ")


@pytest.mark.parametrize("title, text", [
    ("3rd place solution", METHOD),
    ("zorb-widgets", "# zorb-widgets\n\n## Install\n\n```\npip install -r requirements.txt\n```\n\n## Method\n\n"
     + METHOD),
    ("Job Salary Prediction", METHOD),  # a competition's name, not a job story
    ("Predicting a job salary from ads", METHOD),
    ("Winner's interview: 2nd place, Ilka Bo", METHOD + "Q: How did you start? A: With the forum."),
    ("Kaggle Widget Forecasting", "We used lag features and a LightGBM model.\n\n" + "## Run\n\n`python run.py`\n"),
    ("Zorb 分类", "使用两个模型融合得到分数。" * 30),  # Chinese text: no English method words to count
    ("Zorb notes", "# Zorb notes\n\nDetails will be updated soon.\n\n" + METHOD * 3),  # content despite the notice
    ("Plinko", "Hill climbing with destroy and repair moves; a fast weighted trip length function."),
])
def test_write_ups(title, text):
    assert writeup_kind(title, text) == (True, None)


@pytest.mark.parametrize("title, text, reason", [
    ("Zorblax solution", "# Zorblax solution\n\nThe write-up is coming soon, stay tuned.", "stub"),
    ("3rd place solution", "Coming soon.", "stub"),
    ("An interview with a Kaggle grandmaster", METHOD, "interview"),
    ("Ask Me Anything session with Ilka Bo", METHOD, "interview"),
    ("Profiling Top Kagglers: Zed, Currently 1 in the World", METHOD, "interview"),
    ("How I found my current job", METHOD, "career story"),
    ("Shifting careers to widget forecasting", METHOD, "career story"),
    ("Becoming world's 1st - my first competition", METHOD, "career story"),
    ("Quora: How did you become a Kaggle Master", METHOD, "career story"),
    ("Quora: What does it feel like to compete?", METHOD, "question and answer"),
    ("How to get a gold medal in a Kaggle competition", METHOD, "advice, tutorial or tooling"),
    ("Building your own deep learning machine", METHOD, "advice, tutorial or tooling"),
    ("A Kaggler's guide to model stacking", METHOD, "advice, tutorial or tooling"),
    ("I want to organize an ML competition. Where is the playbook?", METHOD, "advice, tutorial or tooling"),
    ("A pipeline for data science competitions", METHOD, "not about one competition"),
    ("Widget keypoints", "In this project, you'll combine what you learned. Only notebook 2 will be graded.\n"
     + METHOD, "course assignment"),
    ("zorb-widgets", "# zorb-widgets\n\n## Requirements\n\n- python 3\n\n## Run\n\n```\npython main.py\n```\n",
     "no method described"),
    ("2nd Place Solution of the Zorb Challenge",
     "# 2nd Place Solution of the Zorb Challenge\n\nThe article on my blog explains the details of the approach."
     "\n\nInstructions are in the pdf.", "no method described"),
    ("Zorb code published", "Two weeks ago I wrote about my Zorb solution. Today I published the code.\n\n"
     "Get it here: https://example.org/zorb", "no method described"),
])
def test_not_write_ups(title, text, reason):
    is_writeup, why = writeup_kind(title, text)
    assert not is_writeup and why.startswith(reason)


def test_a_ranked_readme_with_a_short_method_and_a_link_is_a_write_up():
    text = ("# IMZ 2031 - 14th Place Solution\n\nOur pipeline combines global feature clustering and local "
            "matching.\n\n## Run\n\n```\npython infer.py\n```\n\nOur full write-up is available here.")
    assert writeup_kind("IMZ 2031 - 14th Place Solution", text) == (True, None)


# -- named_competition ------------------------------------------------------------------------

ZORBLAX = CompetitionRef("zorblax-image-masking-challenge", "Zorblax Image Masking Challenge")
FERROVIA = CompetitionRef("ferrovia-cervical-cancer-screening", "Ferrovia & QuillODT Cervical Cancer Screening")
PLINKO = CompetitionRef("plinko-sales-forecast", "Plinko Sales Forecast")
WIDGETS = CompetitionRef("widget-count-2031", "Widget Count 2031")
STARTED = CompetitionRef("getting-started", "Getting Started")
CATALOG = (ZORBLAX, FERROVIA, PLINKO, WIDGETS, STARTED,
           CompetitionRef("cervical-spine-widget-detection", "Cervical Spine Widget Detection"))

ZORBLAX_README = ("## Zorblax Image Masking Challenge 2031 solution\n\nThis repository holds our solution of the "
                  "challenge. A modified u-net with residual blocks scored 0.9967 on the private leaderboard.")


def test_a_text_about_another_competition_is_flagged():
    assert named_competition(ZORBLAX_README, "Zorblax Image Masking Challenge 2031 solution", [FERROVIA],
                             CATALOG) == ZORBLAX.slug


def test_named_by_its_kaggle_url_or_a_distinctive_word():
    url = "Code for https://www.kaggle.com/c/zorblax-image-masking-challenge with a u-net."
    assert named_competition(url, "widget-code", [FERROVIA], CATALOG) == ZORBLAX.slug
    word = "# kaggle-zorblax\n\nOur Zorblax cars were masked with a u-net. Zorblax images are large."
    assert named_competition(word, "kaggle-zorblax", [FERROVIA], CATALOG) == ZORBLAX.slug


@pytest.mark.parametrize("text, title, linked", [
    (ZORBLAX_README, "Zorblax solution", [ZORBLAX]),  # it names its own competition
    (ZORBLAX_README, "Zorblax solution", []),  # not linked: nothing to contradict
    (ZORBLAX_README + " We also tried the QuillODT data.", "Zorblax solution", [FERROVIA]),  # a linked word too
    ("Our cervical screening model ... inspired by the Zorblax Image Masking Challenge.", "notes", [FERROVIA]),
    ("Our plinko-sales-forecast notebook: we used lag features.", "notes", [PLINKO]),  # the linked slug
    ("Notes on the Widget Count 2031 data and on the Zorblax Image Masking Challenge.", "notes",
     [WIDGETS, PLINKO]),  # names one of its two links
    ("We trained trees on lag features.\n\n" + "More details follow. " * 100
     + "Unlike the Zorblax Image Masking Challenge, this one had tabular data.", "notes", [PLINKO]),  # too late
    ("## Getting Started\n\nInstall the package and run the trees on lag features.", "notes", [PLINKO]),
    ("# kaggle-zorblax\n\nThe Zorblax approach: a zorblax is a kind of mask. Zorblax again.", "kaggle-zorblax",
     [FERROVIA]),  # written in lower case too: a word, not a name
    ("# kaggle-widgets\n\nOur Zorblax cars were masked. Zorblax images are large.", "kaggle-widgets",
     [FERROVIA]),  # a distinctive word that is not in the document's title
])
def test_not_flagged(text, title, linked):
    assert named_competition(text, title, linked, CATALOG) is None
