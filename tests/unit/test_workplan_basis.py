"""What a plan is made from, and every difference apply must refuse (a real git repository)."""

import hashlib
import json
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


def build(root, inputs=(), extra=None, cli=None, strategy="linear", vault=None):
    return basis.build(
        str(root),
        [str(root / "inventory")],
        list(inputs),
        str(root / "site.yml"),
        cli or CLI,
        extra or {},
        strategy=strategy,
        vault_files=vault,
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


# --- secrets: named, never hashed ---------------------------------------------------------------

PASSWORD = "Vault-Pass-Unit-4b1d\n"
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
CIPHERTEXT = "$ANSIBLE_VAULT;1.1;AES256\n6162636465\n"


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def no_trace(data, *secrets):
    """Neither a secret nor its sha256 (of the file and of the stripped value) appears in data."""
    text = json.dumps(data, ensure_ascii=False)
    for secret in secrets:
        for value in (secret, secret.strip()):
            assert value not in text and sha(value) not in text


def files_of(entries):
    return {f["path"]: f for e in entries for f in e["files"]}


@pytest.fixture
def vaulted(repo):
    """The repository with a lab-style inventory: a committed vault password file beside it, a vault
    file, an approver's public key and (by mistake) a private key among the approvers."""
    inv = repo / "inventory"
    (inv / ".vault-pass.lab").write_text(PASSWORD)
    (inv / "group_vars").mkdir()
    (inv / "group_vars" / "vault.yml").write_text(CIPHERTEXT)
    (inv / "approvers").mkdir()
    (inv / "approvers" / "allowed_signers").write_text("a ssh-ed25519 AAAAC3Nz a\n")
    (inv / "approvers" / "approver.key").write_text(KEY)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "vault")
    return repo


def test_vault_password_file_and_private_key_are_named_without_digest(vaulted):
    plan = build(vaulted, vault=[])
    files = files_of(plan["inventory"])
    for name in (".vault-pass.lab", "approvers/approver.key"):
        assert files[name] == {"path": name, "sha256": basis.SECRET_MARK, "secret": True}
    assert files["group_vars/vault.yml"]["sha256"] == sha(CIPHERTEXT)  # ciphertext is no secret
    assert files["approvers/allowed_signers"]["sha256"] == sha("a ssh-ed25519 AAAAC3Nz a\n")
    no_trace(plan, PASSWORD, KEY)
    assert basis.compare(plan, build(vaulted, vault=[])) == []


def test_files_the_vault_identities_name_and_their_copies_are_secret(vaulted, tmp_path, monkeypatch):
    (vaulted / "inventory" / "prod.secret").write_text("Prod-Secret-9e2\n")
    (vaulted / "inventory" / "copy.txt").write_text("Prod-Secret-9e2\n")  # same content, another name
    (vaulted / "inventory" / "cfg.secret").write_text("Cfg-Secret-77a\n")
    (vaulted / "inventory" / "cli.secret").write_text("Cli-Secret-31c\n")
    outside = tmp_path / "id.txt"
    outside.write_text("Outside-Secret-0d4\n")
    monkeypatch.chdir(vaulted)
    monkeypatch.setenv("ANSIBLE_VAULT_IDENTITY_LIST", "prod@inventory/prod.secret, dev@prompt")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(vaulted / "inventory" / "cfg.secret"))
    cli = {**CLI, "vault_ids": (f"x@{outside}",), "vault_password_files": ("inventory/cli.secret",)}
    assert basis.vault_sources(cli)[:4] == [
        str(outside),
        "inventory/cli.secret",
        "inventory/prod.secret",
        str(vaulted / "inventory" / "cfg.secret"),
    ]
    plan = build(vaulted, [str(outside)], cli=cli)  # the identities found as the guard finds them
    files = files_of(plan["inventory"])
    for name in ("prod.secret", "copy.txt", "cfg.secret", "cli.secret"):
        assert files[name]["sha256"] == basis.SECRET_MARK, name
    assert plan["inputs"][0]["files"] == [{"path": ".", "sha256": basis.SECRET_MARK, "secret": True}]
    no_trace(plan, "Prod-Secret-9e2\n", "Cfg-Secret-77a\n", "Cli-Secret-31c\n", "Outside-Secret-0d4\n")


def test_secret_files_among_uncommitted_changes_are_named_without_digest(vaulted):
    first = build(vaulted, vault=[])
    (vaulted / "inventory" / ".vault-pass.lab").write_text("Changed-Pass-1\n")  # tracked, now dirty
    (vaulted / "id_ed25519").write_text(KEY)  # untracked, not ignored
    later = build(vaulted, vault=[])
    dirty = {d["path"]: d for d in later["repo"]["dirty_files"]}
    assert dirty["inventory/.vault-pass.lab"]["sha256"] == basis.SECRET_MARK
    assert dirty["id_ed25519"]["sha256"] == basis.SECRET_MARK
    no_trace(later, "Changed-Pass-1\n", KEY, PASSWORD)
    # the repository changed (files appeared among the uncommitted ones): apply still refuses
    reasons = basis.compare(first, later)
    assert codes(reasons) == ["repo_dirty"]
    assert reasons[0]["detail"]["files"] == ["id_ed25519", "inventory/.vault-pass.lab"]


def test_what_apply_refuses_is_unchanged_by_the_secret_rule(vaulted):
    git(vaulted, "rm", "-q", "--cached", "inventory/.vault-pass.lab")
    (vaulted / ".gitignore").write_text("work/\n.vault-pass*\n")  # as the project ignores them
    git(vaulted, "commit", "-qam", "ignore the password file")
    first = build(vaulted, vault=[])
    # a vault file re-encrypted (new password or new values): its ciphertext digest changes
    (vaulted / "inventory" / "group_vars" / "vault.yml").write_text(CIPHERTEXT + "00\n")
    assert "inventory" in codes(basis.compare(first, build(vaulted, vault=[])))
    git(vaulted, "commit", "-qam", "rekey")
    first = build(vaulted, vault=[])
    (vaulted / "inventory" / ".vault-pass.lab").unlink()  # a secret file gone is still a change
    reasons = basis.compare(first, build(vaulted, vault=[]))
    assert [r["detail"]["path"] for r in reasons if r["code"] == "inventory"] == ["inventory"]
    (vaulted / "inventory" / ".vault-pass.lab").write_text("Another-Pass\n")
    assert basis.compare(first, build(vaulted, vault=[])) == []  # its content alone is not compared


def test_outside_git_the_tree_digest_holds_no_secret_content(tmp_path):
    root = tmp_path / "export"
    root.mkdir()
    (root / "site.yml").write_text("---\n")
    (root / ".vault-pass").write_text(PASSWORD)
    first = basis.build(str(root), [], [], str(root / "site.yml"), CLI, {}, "abc", vault_files=[])
    (root / ".vault-pass").write_text("Other-Pass\n")
    assert basis.build(str(root), [], [], str(root / "site.yml"), CLI, {}, "abc", vault_files=[]) == first


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        (".vault-pass", True),
        (".vault-pass.lab", True),
        ("prod.vault-pass", True),
        ("vault_password", True),
        ("ansible-vault-pass.sh", True),
        ("vault.yml", False),
        ("vaulted.csv", False),
        ("passwords.md", False),
    ],
)
def test_vault_password_file_names(name, secret):
    assert bool(basis.VAULT_PASS_NAME.search(name)) is secret
