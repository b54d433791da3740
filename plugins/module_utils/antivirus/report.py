# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ウイルス定義ファイル更新状況 from the record of status.status(): Markdown, and HTML in the work
plan's page layout (jichitai_ops/workplan/templates/_layout.html.j2). jinja2 is imported when a report
is rendered, on the controller."""

from __future__ import annotations

TITLE = "ウイルス定義ファイル更新状況"

MD = """\
# {{ title }}

- 確認日時: {{ when }}
- 総合判定: **{{ r.verdict_ja }}**（異常 {{ r.counts.critical }} 件 / 全 {{ r.counts.total }} 件）
- 基準: 定義が {{ r.max_age_hours }} 時間以内に更新されていること
- 対象: {{ r.inventory or "—" }}（根拠: {{ r.clauses | join("、") }}）

## 対応が必要な端末（{{ r.counts.critical }} 件）

{% for row in todo %}
{{ loop.index }}. 【異常】{{ row.host | cell }}（{{ row.role_ja }}・{{ row.source_ja }}）: {{ row.reason_ja | cell }}
   - **対応: {{ row.action_ja }}**
{% else %}
対応が必要な端末はありません。
{% endfor %}

## 端末ごとの状況

| 判定 | 端末 | 種別 | 確認元 | 定義の版数 | 定義の日時 | 経過 | 今回の更新 | 理由 |
|---|---|---|---|---|---|---|---|---|
{% for row in r.rows %}
| {{ row.state_ja }} | {{ row.host | cell }} | {{ row.role_ja }} | {{ row.source_ja }} | {{ row.version | cell }} | {{ row.updated_at | when_ja }} | {{ row.age_ja }} | {{ row.update_ja }} | {{ (row.reason_ja or "—") | cell }} |
{% endfor %}
"""  # noqa: E501

HTML = """\
{% extends "_layout.html.j2" %}
{% block title %}{{ title }} {{ when }}{% endblock %}
{% block body %}
<style>
  body { max-width: 80em; }
  .verdict { display: inline-block; font-size: 1.4em; font-weight: bold; padding: .1em .8em; border-radius: 4px; }
  .v-critical { color: #fff; background: #b42318; }
  .v-ok { color: #fff; background: #116329; }
  td.status { white-space: nowrap; font-weight: bold; text-align: center; }
  tr.s-critical td { background: #ffe4e1; }
  tr.s-critical td.status { color: #fff; background: #b42318; }
  td.reason { min-width: 16em; }
  td.nowrap { white-space: nowrap; }
  ol.todo .do { font-weight: bold; color: #1f4e79; }
</style>
<h1>{{ title }}</h1>
<table class="kv">
  <tr><th>確認日時</th><td>{{ when }}</td></tr>
  <tr><th>総合判定</th><td><span class="verdict v-{{ r.verdict }}">{{ r.verdict_ja }}</span>
    （異常 {{ r.counts.critical }} 件 / 全 {{ r.counts.total }} 件）</td></tr>
  <tr><th>基準</th><td>定義が {{ r.max_age_hours }} 時間以内に更新されていること</td></tr>
  <tr><th>対象</th><td>{{ r.inventory or "—" }}（根拠: {{ r.clauses | join("、") }}）</td></tr>
</table>
<h2>対応が必要な端末（{{ r.counts.critical }} 件）</h2>
{% if todo %}
<ol class="todo">
{% for row in todo %}
  <li>【異常】{{ row.host }}（{{ row.role_ja }}・{{ row.source_ja }}）: {{ row.reason_ja }}<br>
    <span class="do">対応: {{ row.action_ja }}</span></li>
{% endfor %}
</ol>
{% else %}
<p class="ok">対応が必要な端末はありません。</p>
{% endif %}
<h2>端末ごとの状況</h2>
<table>
  <thead><tr><th>判定</th><th>端末</th><th>種別</th><th>確認元</th><th>定義の版数</th><th>定義の日時</th><th>経過</th><th>今回の更新</th><th>理由</th></tr></thead>
  <tbody>
{% for row in r.rows %}
    <tr class="s-{{ row.state }}"><td class="status">{{ row.state_ja }}</td><td class="nowrap">{{ row.host }}</td>
      <td class="nowrap">{{ row.role_ja }}</td><td>{{ row.source_ja }}</td><td>{{ row.version }}</td>
      <td class="nowrap">{{ row.updated_at | when_ja }}</td><td class="nowrap">{{ row.age_ja }}</td><td>{{ row.update_ja }}</td><td class="reason">{{ row.reason_ja or "—" }}</td></tr>
{% endfor %}
  </tbody>
</table>
{% endblock %}
"""  # noqa: E501


def render(record, fmt, when_ja, layout_dir=None, md_cell=None):
    """The report as text: fmt md or html; when_ja(iso time) -> Japanese date and time; layout_dir
    holds _layout.html.j2 (html only); md_cell escapes a Markdown table cell."""
    import jinja2

    loaders = [jinja2.DictLoader({"av.md.j2": MD, "av.html.j2": HTML})]
    if layout_dir:
        loaders.append(jinja2.FileSystemLoader(layout_dir))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=fmt == "html",
    )
    env.filters.update(
        when_ja=lambda value: when_ja(value) if value else "不明",
        cell=md_cell or (lambda value: str(value).replace("|", "\\|").replace("\n", " ")),
    )
    todo = [row for row in record["rows"] if row["state"] == "critical"]
    return env.get_template(f"av.{fmt}.j2").render(
        r=record, title=TITLE, when=when_ja(record["checked_at"]), todo=todo
    )
