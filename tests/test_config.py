import os

import pytest

from kb.config import load_settings
from kb.errors import ConfigError


def test_env_and_config_file_layering(tmp_path, monkeypatch):
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.toml").write_text('model = "my/model"\nbatch_size = 8\n', encoding="utf-8")
    s = load_settings(home)
    assert (s.home, s.model, s.batch_size) == (home, "my/model", 8)
    monkeypatch.setenv("KB_MODEL", "other/model")
    monkeypatch.setenv("KB_MIRROR", str(tmp_path / "mirror"))
    s = load_settings(home)
    assert s.model == "other/model" and s.mirror == tmp_path / "mirror"
    assert load_settings(home, model="explicit").model == "explicit"
    assert s.db_path == home / "kb.sqlite"


def test_kb_home_env_is_the_default_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_HOME", str(tmp_path / "x"))
    assert load_settings().home == tmp_path / "x"


@pytest.mark.parametrize("content, message", [
    ("model = ", "invalid TOML"),
    ('colour = "red"', "unknown setting 'colour'"),
    ("batch_size = 0", "batch_size must be positive"),
    ('device = "tpu"', "device must be"),
])
def test_bad_config_is_a_clear_error(tmp_path, content, message):
    (tmp_path / "config.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


def test_tokens_and_vocabulary_files_are_settings(tmp_path, monkeypatch):
    extra = tmp_path / "mine.yml"
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("KAGGLE_API_TOKEN", "kaggle_secret")
    monkeypatch.setenv("KB_TECHNIQUES", os.pathsep.join([str(extra), ""]))
    s = load_settings(tmp_path)
    assert (s.github_token, s.kaggle_token, s.techniques) == ("ghp_secret", "kaggle_secret", (extra,))
    assert "secret" not in repr(s)  # settings get logged and printed; tokens never are
    (tmp_path / "config.toml").write_text(f'techniques = ["{extra}"]\ngithub_token = "from_file"\n', encoding="utf-8")
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.delenv("KB_TECHNIQUES")
    assert (load_settings(tmp_path).github_token, load_settings(tmp_path).techniques) == ("from_file", (extra,))
    (tmp_path / "config.toml").write_text("techniques = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="techniques must be a list of files"):
        load_settings(tmp_path)


def test_the_crawl_hands_the_tokens_to_its_sources(tmp_path, monkeypatch):
    from ingest.http import Fetcher
    from ingest.sources.dispatch import make_sources

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    sources = make_sources(Fetcher(), settings=load_settings(tmp_path))
    assert sources["github"].token == "ghp_secret" and sources["kaggle"].token is None
    assert make_sources(Fetcher())["github"].token is None


def test_default_home_is_data_in_a_checkout_and_a_user_folder_otherwise(tmp_path, monkeypatch):
    from kb import config

    monkeypatch.delenv("KB_HOME")
    assert config.in_checkout() and load_settings().home == config.REPO_ROOT / "data"
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path / "site-packages")  # where a `pip install .` puts kb
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert not config.in_checkout()
    assert load_settings().home == tmp_path / "xdg" / "kb"
    assert load_settings().mirror is None  # no ../shared/corpus next to site-packages
    monkeypatch.setenv("KB_HOME", str(tmp_path / "mine"))
    assert load_settings().home == tmp_path / "mine"  # KB_HOME still wins


def test_an_installed_copy_keeps_its_data_out_of_site_packages(tmp_path):
    """kb copied into a site-packages-like folder (no checkout around it), run from another folder."""
    import shutil
    import subprocess
    import sys

    site = tmp_path / "site-packages"
    shutil.copytree(config_root() / "kb", site / "kb", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(site), "HOME": str(tmp_path / "home"),
           "XDG_DATA_HOME": str(tmp_path / "xdg")}
    code = "from kb.config import load_settings; print(load_settings().home)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == str(tmp_path / "xdg" / "kb")
    env["KB_HOME"] = str(tmp_path / "explicit")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == str(tmp_path / "explicit")


def config_root():
    from kb import config

    return config.REPO_ROOT


def test_settings_is_the_only_reader_of_configuration():
    """No module but kb/config.py reads the environment (writing a library's own switch is allowed)."""
    import ast

    root = config_root()
    readers = []
    for path in sorted([*(root / "kb").rglob("*.py"), *(root / "ingest").rglob("*.py"), root / "app.py"]):
        if path == root / "kb" / "config.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        writes = {id(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Attribute) and n.func.attr == "setdefault"}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "environ" and id(node) not in writes) or (
                    isinstance(node, ast.Attribute) and node.attr == "getenv") or (
                    isinstance(node, ast.Constant) and node.value == "config.toml"):
                readers.append(f"{path.relative_to(root)}:{node.lineno}")
    assert readers == []
