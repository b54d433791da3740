# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The change-journal option of the state-changing modules."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  journal:
    description:
      - >-
        Where to journal each change as it is made, and which controller process to watch. Pass the
        fact C(workplan_journal) that the C(workplan) role's guard sets in an apply run; omit the
        option where the fact is not defined (check runs, runs without the guard).
      - Each change is appended as one JSON line and synced to disk before the next change, so the
        report of a run that was killed (C(jichitai-ops report <plan id>)) names every change made.
      - Before each change the module checks that the controller process is still running; when it is
        gone the module journals that it stopped and exits without making further changes.
      - Without it the module journals nothing (lab runs and molecule scenarios without a plan).
    type: dict
    suboptions:
      path:
        description: The journal file, C(<plan store>/<plan id>/journal/<run>.changes.jsonl).
        type: path
        required: true
      controller_pid:
        description: Process id of the ansible-playbook process of the run.
        type: int
      controller_start:
        description:
          - Its start time (field 22 of C(/proc/<pid>/stat)), so that a reused process id is not taken for it.
        type: str
      run:
        description: The run token of the apply run, written into every line.
        type: str
"""
