"""config_files: the folders and files of a server in one module run (real files in a temporary folder).

Check mode says what would change and writes nothing; an apply writes each file whole after its check;
a check that refuses the new content leaves the old file and writes no later file; a second apply
changes nothing; a secret file's content never reaches the diff.
"""

from __future__ import annotations

import os
import stat

from test_module_arg_limits import run_module

OK_CHECK = "grep -q ok %s"  # a checker: the new content must hold the word ok


def run(tmp_path, files, directories=(), check=False, secret_files=()):
    args = {
        "files": files,
        "secret_files": list(secret_files),
        "directories": list(directories),
        "_ansible_check_mode": check,
        "_ansible_diff": True,
    }
    return run_module("config_files", args)


def item(path, content, **extra):
    return {"dest": str(path), "content": content, "mode": "0640", **extra}


def test_check_mode_plans_every_file_and_folder_and_writes_nothing(tmp_path):
    folder = tmp_path / "etc" / "rules"
    result = run(
        tmp_path, [item(tmp_path / "a.yml", "ok: 1\n")], [{"path": str(folder), "mode": "0755"}], True
    )
    assert result["changed"] and result["changed_paths"] == [str(folder), str(tmp_path / "a.yml")]
    assert not folder.exists() and not (tmp_path / "a.yml").exists()
    assert [d["after"] for d in result["diff"] if d.get("after_header")] == ["ok: 1\n"]


def test_apply_writes_with_the_mode_checks_first_and_a_second_run_changes_nothing(tmp_path):
    files = [item(tmp_path / "a.yml", "ok: 1\n", validate=OK_CHECK), item(tmp_path / "b.yml", "ok: 2\n")]
    result = run(tmp_path, files)
    assert result["changed"] and [f["content_changed"] for f in result["files"]] == [True, True]
    assert (tmp_path / "a.yml").read_text() == "ok: 1\n"
    assert stat.S_IMODE(os.stat(tmp_path / "a.yml").st_mode) == 0o640
    again = run(tmp_path, files)
    assert not again["changed"] and again["changed_paths"] == []
    (tmp_path / "b.yml").chmod(0o600)
    mode_only = run(tmp_path, files, check=True)
    assert mode_only["changed_paths"] == [str(tmp_path / "b.yml")]
    assert mode_only["files"][1] == {
        "dest": str(tmp_path / "b.yml"),
        "content_changed": False,
        "changed": True,
    }


def test_a_refused_check_leaves_the_old_file_and_writes_no_later_file(tmp_path):
    (tmp_path / "a.yml").write_text("ok: old\n")
    files = [item(tmp_path / "a.yml", "nope\n", validate=OK_CHECK), item(tmp_path / "b.yml", "ok\n")]
    result = run(tmp_path, files)
    assert result["failed"] and "refused the new content" in result["msg"]
    assert (tmp_path / "a.yml").read_text() == "ok: old\n" and not (tmp_path / "b.yml").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.yml"]  # no temporary file left behind


def test_a_secret_file_says_that_it_changes_but_not_what_it_holds(tmp_path):
    result = run(tmp_path, [item(tmp_path / "pw", "s3cr3t-value", diff=False)], check=True)
    assert result["changed"]
    assert "s3cr3t-value" not in str(result["diff"]) and "content not shown" in result["diff"][0]["before"]


def test_secret_files_are_written_first_and_their_content_never_comes_back(tmp_path):
    secret = item(tmp_path / "probe.pw", "s3cr3t-value\n", mode="0600")
    config = item(tmp_path / "blackbox.yml", "ok: 1\n")
    planned = run(tmp_path, [config], check=True, secret_files=[secret])
    assert planned["changed_paths"] == [str(tmp_path / "probe.pw"), str(tmp_path / "blackbox.yml")]
    assert "content not shown" in planned["diff"][0]["before"] and planned["diff"][1]["after"] == "ok: 1\n"
    assert "s3cr3t-value" not in str(planned), "a secret file's content came back in the result"
    applied = run(tmp_path, [config], secret_files=[secret])
    assert (tmp_path / "probe.pw").read_text() == "s3cr3t-value\n"
    assert stat.S_IMODE(os.stat(tmp_path / "probe.pw").st_mode) == 0o600
    assert "s3cr3t-value" not in str(applied)
    assert not run(tmp_path, [config], secret_files=[secret])["changed"]


def test_a_template_that_reached_the_module_unrendered_is_refused_before_any_folder(tmp_path):
    folder = tmp_path / "etc"
    template = {"dest": str(tmp_path / "a.yml"), "src": "a.yml.j2"}
    result = run(tmp_path, [template], [{"path": str(folder)}])
    assert result["failed"] and "rendered by the config_files action" in result["msg"]
    assert not folder.exists() and not (tmp_path / "a.yml").exists()
