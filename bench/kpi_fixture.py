#!/usr/bin/env python3
"""bench/kpi_fixture.py — SQL that fills a Vigil state database (the real schema, migrated by the
server) with ALERTS alerts and INCIDENTS incidents of tenant `default`, spread evenly over the DAYS
days before NOW, in a few set-based INSERT … SELECT statements (recursive CTE on SQLite,
generate_series on PostgreSQL): a million rows load in seconds, not hours of API calls.

Alerts: 100 rules, 4 levels, 500 hosts; 70% closed (dispositions: 1 in 5 false positive, 1 in 5
true positive, the rest benign), 10% acknowledged, 20% new; event time 30 s to 10 min before
detection, 1 in 1,000 replayed from 2020 (the MTTD cut-off leaves those out); every 10th alert
linked to an incident. Incidents: priority and severity 1–4, 80% closed, milestones minutes to
days after creation.

    python3 bench/kpi_fixture.py --backend sqlite --alerts 1000000 --incidents 100000 | sqlite3 DATA/state.db
"""
import argparse
import time

p = argparse.ArgumentParser()
p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
p.add_argument("--alerts", type=int, default=1_000_000)
p.add_argument("--incidents", type=int, default=100_000)
p.add_argument("--days", type=int, default=90)
p.add_argument("--now", type=int, default=int(time.time()), help="unix seconds")
a = p.parse_args()

NS = 1_000_000_000
now = a.now * NS
span = a.days * 86_400 * NS
replay = 1_577_836_800 * NS  # 2020-01-01

if a.backend == "sqlite":
    series = lambda n: f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n - 1}) "
    fmt = lambda f, x: f"printf('{f}', {x})"
    head = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = OFF;\nBEGIN;\n"
else:
    series = lambda n: ""
    fmt = lambda f, x: f"format('{f.replace('%07d', '%s').replace('%06d', '%s').replace('%03d', '%s').replace('%d', '%s')}', {x})"
    head = "BEGIN;\n"


def source(n):
    return "n" if a.backend == "sqlite" else f"generate_series(0, {n - 1}) AS s(i)"


A, I = a.alerts, a.incidents
det = f"({now} - (i * {span // max(A, 1)}))"
status = "CASE WHEN i % 10 < 7 THEN 'closed' WHEN i % 10 = 7 THEN 'acknowledged' ELSE 'new' END"
disp = "CASE WHEN i % 10 >= 7 THEN NULL WHEN i % 5 = 0 THEN 'false_positive' WHEN i % 5 = 1 THEN 'true_positive' ELSE 'benign_positive' END"
level = "CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE 'critical' END"
EVENT_IDS = fmt('["ev-%d"]', "i")
print(head, end="")
print(
    f"{series(A)}INSERT INTO alerts (id, status, rule_id, rule_title, level, level_rank, kind, attack, tags, "
    "event_ids, event_time, detected, input, host, matched, tenant, disposition, incident_id, updated, updated_by, "
    "acknowledged, acknowledged_by, closed, closed_by) "
    f"SELECT {fmt('bench-a%07d', 'i')}, {status}, {fmt('rule-%03d', 'i % 100')}, {fmt('Bench rule %d', 'i % 100')}, "
    f"{level}, i % 4 + 2, 'detection', '[]', '[]', {EVENT_IDS}, "
    f"CASE WHEN i % 1000 = 999 THEN {replay} + i ELSE {det} - (30 + i % 570) * {NS} END, {det}, 'syslog', "
    f"{fmt('host-%03d', 'i % 500')}, '{{}}', 'default', {disp}, "
    f"CASE WHEN i % 10 = 0 THEN {fmt('bench-i%06d', f'(i / 10) % {max(I, 1)}')} END, "
    f"{det} + (60 + i % 3600) * {NS}, 'user:bench', "
    f"CASE WHEN i % 10 <= 7 AND i % 3 = 0 THEN {det} + (60 + i % 1800) * {NS} END, "
    f"CASE WHEN i % 10 <= 7 AND i % 3 = 0 THEN 'user:bench' END, "
    f"CASE WHEN i % 10 < 7 THEN {det} + (600 + i % 86400) * {NS} END, "
    f"CASE WHEN i % 10 < 7 THEN 'user:bench' END "
    f"FROM {source(A)};"
)
created = f"({now} - (i * {span // max(I, 1)}))"
closed = "i % 5 <> 0"
print(
    f"{series(I)}INSERT INTO incidents (id, tenant, title, classification, severity, impact, urgency, priority, tlp, pap, "
    "status, owner, team, resolution, lessons_learned, created, created_by, updated, first_event, detected, "
    "acknowledged, contained, resolved, closed) "
    f"SELECT {fmt('bench-i%06d', 'i')}, 'default', {fmt('Bench incident %d', 'i')}, "
    "CASE i % 3 WHEN 0 THEN 'malicious-code:infected-system' WHEN 1 THEN 'intrusion-attempts:login-attempts' ELSE 'fraud:phishing' END, "
    "i % 4 + 1, 'medium', 'medium', i % 4 + 1, 'amber', 'amber', "
    f"CASE WHEN {closed} THEN 'closed' WHEN i % 2 = 0 THEN 'investigating' ELSE 'new' END, "
    f"{fmt('analyst%d', 'i % 12')}, {fmt('tier%d', 'i % 3')}, "
    f"CASE WHEN {closed} THEN 'done' END, CASE WHEN {closed} THEN 'none' END, "
    f"{created}, 'user:bench', {created} + 3600 * {NS}, "
    f"{created} - (300 + i % 3600) * {NS}, {created} - (60 + i % 600) * {NS}, "
    f"{created} + (60 + i % 7200) * {NS}, "
    f"CASE WHEN i % 3 <> 0 THEN {created} + (3600 + i % 86400) * {NS} END, "
    f"CASE WHEN {closed} THEN {created} + (7200 + i % 604800) * {NS} END, "
    f"CASE WHEN {closed} THEN {created} + (7300 + i % 604800) * {NS} END "
    f"FROM {source(I)};"
)
print("COMMIT;")
print("ANALYZE;")
