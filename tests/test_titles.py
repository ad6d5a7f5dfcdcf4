import pytest

from kb.records import CompetitionLink
from kb.text.titles import document_title, plain


@pytest.mark.parametrize("raw, expected", [
    ("Solution to [Some Challenge](https://www.kaggle.com/c/x)", "Solution to Some Challenge"),
    ("![badge](https://img.example/b.svg) **My** _title_", "My title"),
    ("   ", None),
    (None, None),
])
def test_plain(raw, expected):
    assert plain(raw) == expected


def test_generic_titles_fall_back_to_repo_and_competition():
    links = (CompetitionLink("galaxy", 1, None, "Galaxy Shapes Challenge"),)
    url = "https://github.com/alice/galaxy-net/blob/main/README.md"
    assert document_title(None, "README.md", url, links) == "galaxy-net (Galaxy Shapes Challenge)"
    assert document_title(None, "Installation", url, ()) == "galaxy-net"
    assert document_title(None, "Galaxy zoo, 1st place", url, links) == "Galaxy zoo, 1st place"
    assert document_title("Declared", "Extracted", url, links) == "Declared"
    assert document_title(None, None, "https://blog.example/2020/my-great_post.html", ()) == "my great post"
