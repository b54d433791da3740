"""The personnel transfer's diff as text: what Ansible's output and the work plan show of each entry."""

from __future__ import annotations

from ansible.module_utils.hr_transfer import diff_text


def test_data_becomes_yaml_with_sorted_keys_and_japanese_as_written():
    entries = [
        {
            "before_header": "270001 髙橋　蓮",
            "before": {},
            "after": {"状態": "無効", "DN": "CN=u270001,OU=160400", "グループ": ["g-160400-staff"]},
        }
    ]
    (entry,) = diff_text.entries_as_text(entries)
    assert entry["before_header"] == "270001 髙橋　蓮"
    assert entry["before"] == "{}\n"
    assert entry["after"] == "DN: CN=u270001,OU=160400\nグループ:\n- g-160400-staff\n状態: 無効\n"
    assert isinstance(entries[0]["after"], dict), "the entries given are left as they were"


def test_text_stays_as_it_is_and_nothing_is_empty():
    entries = [{"before_header": "組織", "before": None, "after": "[切替] OU 移動 → OU=190300\n"}]
    assert diff_text.entries_as_text(entries) == [
        {"before_header": "組織", "before": "", "after": "[切替] OU 移動 → OU=190300\n"}
    ]


def test_a_value_that_would_read_as_another_type_is_quoted():
    (entry,) = diff_text.entries_as_text([{"before": {"職員番号": "200005", "有効": "yes"}, "after": ""}])
    assert entry["before"] == "有効: 'yes'\n職員番号: '200005'\n"
