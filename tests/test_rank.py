from kb.search.fusion import group_by, min_max, rrf, weighted_fusion


def test_rrf_rewards_items_in_both_lists():
    dense = [("a", 0.9), ("b", 0.8), ("c", 0.1)]
    kw = [("c", 12.0), ("a", 3.0)]
    fused = rrf([dense, kw], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b"]
    assert abs(fused[0][1] - (1 / 61 + 1 / 62)) < 1e-12


def test_rrf_weights_and_validation():
    fused = rrf([[("x", 1.0)], [("y", 1.0)]], weights=[1.0, 2.0])
    assert fused[0][0] == "y"
    try:
        rrf([[("x", 1.0)]], weights=[1.0, 2.0])
    except ValueError:
        pass
    else:
        raise AssertionError("mismatched weights must raise")


def test_min_max_and_weighted_fusion():
    assert min_max([]) == []
    assert min_max([("a", 2.0), ("b", 2.0)]) == [("a", 1.0), ("b", 1.0)]
    assert min_max([("a", 3.0), ("b", 1.0), ("c", 2.0)]) == [("a", 1.0), ("b", 0.0), ("c", 0.5)]
    fused = weighted_fusion([[("a", 1.0), ("b", 0.0)], [("b", 5.0), ("a", 0.0)]], [0.7, 0.3])
    assert fused == [("a", 0.7), ("b", 0.3)]


def test_group_by_keeps_best_item_per_group_and_drops_unknown():
    ranking = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6), (99, 0.5)]
    doc_of = {1: "d1", 2: "d2", 3: "d1", 4: "d3"}
    groups = group_by(ranking, doc_of)
    assert groups == [("d1", 0.9, [1, 3]), ("d2", 0.8, [2]), ("d3", 0.6, [4])]
    assert group_by(ranking, doc_of, limit=2) == groups[:2]
