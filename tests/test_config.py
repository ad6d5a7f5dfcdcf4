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
