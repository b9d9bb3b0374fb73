import json

from ingest import demo
from ingest.__main__ import main


def test_demo_command_builds_the_store(tmp_path, capsys):
    code = main(
        ["demo", "--store", str(tmp_path / "store"), "--sources", str(tmp_path / "src"), "--quiet"]
    )
    assert code == 0
    manifest = json.loads((tmp_path / "store" / demo.DEMO_LA_CODE / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert "store ready" in capsys.readouterr().out


def test_build_command_reports_bad_input_without_a_traceback(tmp_path, capsys):
    code = main(
        ["build", "--la", "E08000009", "--sources", str(tmp_path), "--store", str(tmp_path)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: build: no LSOA to ward lookup covering E08000009")
    assert "Traceback" not in err
