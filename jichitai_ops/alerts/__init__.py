"""Alert records: every alert the monitoring raised, when it was detected, when the operations desk was
notified and when it was resolved (OPS-MON §6-3(1); SLA §4-5 table 3: 障害報告時間 30 分以内,
稼働率 99.9% 以上/月; the monthly report's 発生したアラート及び対応結果).

receiver.py keeps one record per alert occurrence from Alertmanager's webhook, records.py reads and
checks them, sla.py derives the SLA figures, commands.py is `jichitai-ops alerts`.
"""
