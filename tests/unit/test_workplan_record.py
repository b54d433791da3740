"""Task results as plan records: predicted changes, diffs, the unpredictable, secrets hidden.

The result dicts are the shapes ansible-core 2.19 hands a callback (measured with a recording
callback on copy, lineinfile loops, command, raw, wait_for and no_log tasks in check mode)."""

import json
import random

import yaml

from jichitai_ops.workplan import record as rec


def make(result, status="ok", action="ansible.builtin.copy", planning=True, host="web01", seq=1, **kw):
    args = {
        "no_log": False,
        "ignore_errors": False,
        "sensitive": False,
        "ran_for_real": False,
        "minutes": None,
    }
    args.update(kw)
    return rec.record(
        host=host,
        task="t",
        key="pb.yml:10|t",
        action=action,
        role=None,
        handler=False,
        result=result,
        status=status,
        planning=planning,
        seq=seq,
        occurrence=1,
        started=None,
        ended=None,
        **args,
    )


def states(record):
    return [(e["state"], e["note"]) for e in record["entries"]]


def test_predicted_change_with_diff():
    r = make({"changed": True, "diff": [{"before": "", "after": "hello\n", "after_header": "/etc/x"}]})
    assert states(r) == [("changed", "")]
    assert r["entries"][0]["diffs"] == [{"header": "/etc/x", "before": "", "after": "hello\n"}]


def test_data_diff_reads_as_yaml():
    r = make(
        {
            "changed": True,
            "diff": {
                "before": {"path": "/d", "state": "absent"},
                "after": {"path": "/d", "state": "directory"},
            },
        }
    )
    assert r["entries"][0]["diffs"][0]["after"] == "path: /d\nstate: directory\n"


def test_data_diff_text_is_pyyaml_text_whichever_emitter_writes_it():
    """A diff's YAML is the same text whether libyaml or PyYAML emits it: random entries of the kinds
    the modules return (Japanese names, DNs, YAML look-alikes, quotes, long and odd characters)."""
    pieces = list("あい漢字総務課 　abcXYZ019-:#'\"{}[],&*!|>%@`?\\ｱ①〜－é€\xa0") + [
        "\n",
        "\t",
        "\x85",
        "\u2028",
        "\ufeff",
        "\U0001f600",
        "\x00",
    ]
    special = ["yes", "no", "null", "~", "012", "1e3", "2027-04-01", "0x1F", "", "- a", ": b", "#c", "on"]
    rng = random.Random(24)

    def text(longest):
        if rng.random() < 0.1:
            return rng.choice(special)
        common = pieces[:-7] if rng.random() < 0.8 else pieces
        return "".join(rng.choice(common) for _count in range(rng.randint(0, longest)))

    def value(depth=0):
        roll = rng.random()
        if depth < 3 and roll < 0.25:
            return {text(12) or "k": value(depth + 1) for _count in range(rng.randint(0, 4))}
        if depth < 3 and roll < 0.45:
            return [value(depth + 1) for _count in range(rng.randint(0, 4))]
        if roll < 0.55:
            return rng.choice([None, True, False, 1.5, -7, 10**12])
        return text(rng.choice([8, 30, 90]))

    fast = 0
    for _count in range(3000):
        entry = {
            "DN": f"CN={text(20)},OU=x",
            "所属": text(30),
            "グループ": [text(25) for _g in range(3)],
            "x": value(),
        }
        data = json.loads(json.dumps(entry))
        expected = yaml.dump(
            data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=True, default_flow_style=False
        )
        assert rec._text(entry) == expected, entry
        fast += rec._fast_dump_ok(data)
    assert fast > 100  # the fast emitter did write a good share of them


def test_module_without_check_mode_is_unpredictable():
    r = make(
        {"msg": "remote module (ansible.builtin.wait_for) does not support check mode"},
        "skipped",
        action="ansible.builtin.wait_for",
    )
    assert states(r)[0][0] == "unpredictable"


def test_command_skipped_in_check_mode_is_unpredictable():
    r = make(
        {"msg": "Command would have run if not in check mode", "changed": False},
        "skipped",
        action="ansible.builtin.command",
    )
    assert states(r) == [("unpredictable", "コマンドは確認モードでは実行されないため変更を予測できません")]
    raw = make({"changed": False}, "skipped", action="ansible.builtin.raw")  # raw says nothing at all
    assert states(raw)[0][0] == "unpredictable"


def test_command_with_creates_that_would_run_is_a_change_of_unknown_content():
    r = make(
        {"changed": True, "msg": "Command would have run if not in check mode"},
        action="ansible.builtin.command",
    )
    assert states(r) == [("changed", "コマンドを実行します（結果は予測できません）")]


def test_task_skipped_on_check_mode_is_unpredictable_but_plain_skip_is_not():
    r = make(
        {"skip_reason": "Conditional result was False", "false_condition": "not ansible_check_mode"},
        "skipped",
        action="ansible.builtin.service",
    )
    assert states(r)[0][0] == "unpredictable"
    plain = make({"skip_reason": "Conditional result was False", "false_condition": "x == 1"}, "skipped")
    assert states(plain)[0][0] == "skipped"


def test_ignored_failure_while_planning_is_unpredictable_otherwise_failed():
    assert (
        states(make({"failed": True, "msg": "no such service"}, "failed", ignore_errors=True))[0][0]
        == "unpredictable"
    )
    assert states(make({"failed": True, "msg": "boom"}, "failed"))[0] == ("failed", "boom")
    assert states(make({"msg": "ssh: timeout"}, "unreachable"))[0][0] == "unreachable"


def test_apply_run_has_no_unpredictable_state():
    r = make(
        {"msg": "Command would have run if not in check mode"},
        "skipped",
        action="ansible.builtin.command",
        planning=False,
    )
    assert states(r)[0][0] == "skipped"


def test_no_log_result_is_hidden():
    censored = {
        "changed": True,
        "_ansible_no_log": True,
        "censored": "the output has been hidden due to the fact that 'no_log: true' was specified",
    }
    r = make(censored, no_log=True)
    assert r["no_log"] and r["entries"] == [
        {"label": None, "state": "changed", "note": "", "diffs": [{"hidden": True}]}
    ]


def test_secret_looking_content_hides_the_diff():
    r = make({"changed": True, "diff": [{"before": "", "after": "pw=Secret1\n"}]}, sensitive=True)
    assert r["entries"][0]["diffs"] == [{"hidden": True}] and "Secret1" not in str(r)


def test_loop_items_become_entries_with_labels():
    results = [
        {"changed": True, "diff": {"before": "", "after": "x\n"}, "item": "x", "_ansible_item_label": "x"},
        {"changed": False, "item": "y", "_ansible_item_label": "y"},
        {
            "skipped": True,
            "item": "z",
            "_ansible_item_label": "z",
            "skip_reason": "Conditional result was False",
        },
    ]
    r = make({"changed": True, "results": results}, action="ansible.builtin.lineinfile")
    assert [(e["label"], e["state"]) for e in r["entries"]] == [
        ("x", "changed"),
        ("y", "ok"),
        ("z", "skipped"),
    ]


def test_no_log_loop_items_are_numbered_not_named():
    results = [{"changed": True, "_ansible_no_log": True, "censored": "hidden"}]
    r = make({"changed": True, "results": results, "_ansible_no_log": True}, no_log=True)
    assert r["entries"][0]["label"] == "#1"


def test_change_made_while_planning_is_noted():
    r = make({"changed": True, "diff": {"before": "a", "after": "b"}}, ran_for_real=True)
    assert "計画作成時に実際に変更されました" in states(r)[0][1]
    assert rec.summarize([r])["changed_during_planning"] == 1


def test_diff_signature_ignores_headers_and_context():
    plan = [{"header": "/f (content)", "before": "", "after": "beta = 2\n"}]
    actual = [{"header": "/tmp/.ansible/tmp-src", "before": "alpha = 1\n", "after": "alpha = 1\nbeta = 2\n"}]
    assert rec.diff_signature(plan) == rec.diff_signature(actual)
    other = [{"header": "", "before": "alpha = 1\n", "after": "alpha = 1\nbeta = 3\n"}]
    assert rec.diff_signature(plan) != rec.diff_signature(other)
    assert rec.diff_signature([{"prepared": "--- a\n+++ b\n-x\n+y\n"}]) == [("+", "y"), ("-", "x")]


def test_summary_marks_incomplete_plans():
    ok = make({"changed": True})
    bad = make({"msg": "down"}, "unreachable", host="web02", seq=2)
    summary = rec.summarize([ok, bad])
    assert summary["incomplete"] and summary["hosts_failed"] == ["web02"] and summary["changes"] == 1


def test_estimate_counts_batches_of_hosts_per_changing_task():
    records = [make({"changed": True}, host=f"h{i}", seq=i) for i in range(7)]
    records.append(make({"changed": False}, host="h0", seq=9))
    est = rec.estimate(records, default_minutes=2, forks=5)
    assert est["minutes"] == 4  # one task, 7 hosts, 5 at a time: 2 batches of 2 minutes
    assert est["basis"].endswith("（同時実行数 5）")
    assert est["schedule"][0]["hosts"] == [f"h{i}" for i in range(7)]
    assert rec.estimate(records, 2, 5, override=45)["minutes"] == 45
    own = [make({"changed": True}, minutes=10)]
    assert rec.estimate(own, 2, 5)["minutes"] == 10
