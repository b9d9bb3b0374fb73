import json

from fake_statxplore import StatXploreServer, count

from ingest import demo
from ingest.__main__ import main
from ingest.discover import discover
from ingest.sources.dwp_statxplore import PENSION_CREDIT, read_pension_credit


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


LOOKUP = [
    "LSOA21CD,LSOA21NM,WD22CD,WD22NM,LAD22CD,LAD22NM",
    "E01006118,Trafford 002C,E05000826,Davyhulme East,E08000009,Trafford",
    "E01006119,Trafford 002D,E05000826,Davyhulme East,E08000009,Trafford",
    "E01005000,Manchester 001A,E05011000,Somewhere,E08000003,Manchester",
]


def test_dwp_command_refuses_without_a_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("STATXPLORE_API_KEY", raising=False)
    assert main(["dwp", "--la", "E08000009", "--sources", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "STATXPLORE_API_KEY is not set" in err and "stat-xplore.dwp.gov.uk" in err


def test_dwp_command_fetches_the_place_s_lsoas_into_the_folder(
    tmp_path, monkeypatch, capsys, only_localhost
):
    (tmp_path / "lookup.csv").write_text("\n".join(LOOKUP) + "\n")
    monkeypatch.setenv("STATXPLORE_API_KEY", "cli-test-key")
    with StatXploreServer(PENSION_CREDIT, "cli-test-key") as server:
        monkeypatch.setenv("DIM_STATXPLORE_URL", server.url())
        code = main(["dwp", "--la", "Trafford", "--sources", str(tmp_path), "--month", "202502"])
    assert code == 0, capsys.readouterr().err
    assert "DWP Pension Credit, Feb 2025, 2 LSOAs" in capsys.readouterr().out
    (path,) = discover(tmp_path).get("dwp_pension_credit")
    assert path.name == "dwp_pension_credit_202502_E08000009.csv"
    frame = read_pension_credit(path)
    assert frame["lsoa_code"].tolist() == ["E01006118", "E01006119"]
    assert frame["pension_credit_claimants"].tolist() == [
        count(c, "202502") for c in ("E01006118", "E01006119")
    ]
    assert all(b"cli-test-key" not in p.read_bytes() for p in tmp_path.iterdir())


def test_dwp_command_passes_a_replaced_identifier(tmp_path, monkeypatch, capsys, only_localhost):
    (tmp_path / "lookup.csv").write_text("\n".join(LOOKUP) + "\n")
    monkeypatch.setenv("STATXPLORE_API_KEY", "cli-test-key")
    valueset = "str:value:PC_New:V_F_PC_CASELOAD_New:COA_CODE:V_C_OTHER_LSOA"
    with StatXploreServer(PENSION_CREDIT.replace(lsoa_valueset=valueset), "cli-test-key") as server:
        monkeypatch.setenv("DIM_STATXPLORE_URL", server.url())
        args = ["dwp", "--la", "E08000009", "--sources", str(tmp_path), "--dest", str(tmp_path)]
        assert main([*args, "--lsoa-valueset", valueset]) == 0, capsys.readouterr().err
        assert main(args) == 2
    assert "it names ['lsoa_valueset']" in capsys.readouterr().err
