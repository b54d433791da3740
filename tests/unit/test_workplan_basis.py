"""What a plan is made from, and every difference apply must refuse (a real git repository)."""

import subprocess

import pytest

from jichitai_ops.workplan import basis as basis

CLI = {"subset": None, "tags": ("all",), "skip_tags": (), "start_at_task": None}


def git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.email=o@example.invalid", "-c", "user.name=o", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    (root / "inventory").mkdir(parents=True)
    (root / "inventory" / "hosts.yml").write_text("all: {hosts: {a: {}}}\n")
    (root / "site.yml").write_text("---\n")
    (root / ".gitignore").write_text("work/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def build(root, inputs=(), extra=None, cli=None, strategy="linear"):
    return basis.build(
        str(root),
        [str(root / "inventory")],
        list(inputs),
        str(root / "site.yml"),
        cli or CLI,
        extra or {},
        strategy=strategy,
    )


def codes(reasons):
    return [r["code"] for r in reasons]


def test_unchanged_tree_has_no_difference(repo, tmp_path):
    data = tmp_path / "list.csv"
    data.write_text("a,b\n")
    first = build(repo, [str(data)])
    (repo / "work").mkdir()
    (repo / "work" / "plan.json").write_text("{}")  # the plan store is ignored by git
    assert basis.compare(first, build(repo, [str(data)])) == []
    assert first["repo"]["commit"] and first["repo"]["dirty_files"] == []
    assert first["inventory"][0]["path"] == "inventory" and first["run_options"]["tags"] == []


def test_uncommitted_and_committed_changes(repo):
    first = build(repo)
    (repo / "site.yml").write_text("---\n# edited\n")
    dirty = build(repo)
    reasons = basis.compare(first, dirty)
    assert codes(reasons) == ["repo_dirty", "playbook"] and "site.yml" in reasons[0]["en"]
    git(repo, "commit", "-qam", "edit")
    assert codes(basis.compare(first, build(repo))) == ["repo_commit", "playbook"]
    (repo / "new_role.yml").write_text("x")  # an untracked file counts too
    assert "repo_dirty" in codes(
        basis.compare(build(repo), build(repo) | {"repo": {**build(repo)["repo"], "dirty_files": []}})
    )


def test_inventory_change_is_named(repo):
    first = build(repo)
    (repo / "inventory" / "hosts.yml").write_text("all: {hosts: {a: {}, b: {}}}\n")
    reasons = basis.compare(first, build(repo))
    assert "inventory" in codes(reasons)
    assert [r["en"] for r in reasons if r["code"] == "inventory"] == [
        "inventory changed since the plan: inventory"
    ]


def test_inventory_with_same_content_elsewhere_is_accepted(repo, tmp_path):
    first = build(repo)
    other = tmp_path / "awx_job_42"
    other.mkdir()
    (other / "hosts.yml").write_text((repo / "inventory" / "hosts.yml").read_text())
    moved = basis.build(str(repo), [str(other)], [], str(repo / "site.yml"), CLI, {})
    assert basis.compare(first, moved) == []


def test_input_file_changed_or_missing(repo, tmp_path):
    data = tmp_path / "transfer.csv"
    data.write_text("id,dept\n1,140100\n")
    first = build(repo, [str(data)])
    data.write_text("id,dept\n1,140200\n")
    assert (
        basis.compare(first, build(repo, [str(data)]))[0]["en"]
        == f"input file changed since the plan: {data}"
    )
    data.unlink()
    reasons = basis.compare(first, build(repo, [str(data)]))
    assert reasons[0]["ja"].startswith("入力ファイルがありません")
    assert build(repo, [str(data)])["inputs"][0]["missing"]


def test_run_options_and_extra_vars_by_name_only(repo):
    first = build(repo, extra={"transfer_csv": "a.csv", "workplan_id": "x", "awx_job_id": 7})
    assert first["run_options"]["extra_vars"].keys() == {"transfer_csv"}
    assert "a.csv" not in str(first["run_options"])
    later = build(repo, extra={"transfer_csv": "b.csv", "workplan_id": "y"}, cli={**CLI, "subset": "web01"})
    reasons = basis.compare(first, later)
    assert codes(reasons) == ["run_options", "extra_vars"]
    assert "transfer_csv" in reasons[1]["en"] and "limit" in reasons[0]["en"]


def test_work_plan_variables_given_at_apply_are_part_of_the_basis(repo):
    """Only the plan id, the window and the lab switches may differ: -e workplan_inputs=[] at apply
    would otherwise drop an input file from the comparison."""
    first = build(repo, extra={"workplan_window_start": "2026-12-16T22:00"})
    later = build(repo, extra={"workplan_id": "p", "workplan_inputs": [], "workplan_now": "x"})
    reasons = basis.compare(first, later)
    assert codes(reasons) == ["extra_vars"] and reasons[0]["detail"]["names"] == ["workplan_inputs"]
    assert first["run_options"]["extra_vars"] == {}


def test_strategy_is_recorded_and_compared(repo):
    first = build(repo, strategy="ansible.builtin.linear")
    assert first["run_options"]["strategy"] == "linear"
    reasons = basis.compare(first, build(repo, strategy="free"))
    assert codes(reasons) == ["run_options"] and "strategy" in reasons[0]["en"]


def test_project_root_is_the_git_top(repo):
    (repo / "playbooks").mkdir()
    assert basis.project_root(str(repo / "playbooks")) == str(repo)
    assert basis.rel(str(repo / "playbooks" / "x.yml"), str(repo)) == "playbooks/x.yml"
    assert basis.rel("/elsewhere/x.csv", str(repo)) == "/elsewhere/x.csv"


def test_outside_git_the_tree_is_digested(tmp_path):
    root = tmp_path / "export"
    root.mkdir()
    (root / "ansible.cfg").write_text("[defaults]\n")
    (root / "site.yml").write_text("---\n")
    first = basis.build(str(root), [], [], str(root / "site.yml"), CLI, {}, fallback_commit="abc123")
    assert first["repo"]["vcs"] is None and first["repo"]["commit"] == "abc123"
    (root / "site.yml").write_text("---\n# changed\n")
    second = basis.build(str(root), [], [], str(root / "site.yml"), CLI, {}, fallback_commit="abc123")
    assert "repo_dirty" in codes(basis.compare(first, second))


def test_each_play_checks_only_the_inputs_it_declares(repo, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("a\n")
    second.write_text("b\n")
    plan = build(repo, [str(first), str(second)])  # the plan holds the inputs of every play
    assert basis.compare(plan, build(repo, [str(second)])) == []
    second.write_text("b2\n")
    assert codes(basis.compare(plan, build(repo, [str(second)]))) == ["inputs"]
