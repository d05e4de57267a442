#!/usr/bin/env python3
"""Splits a CSV into one CSV per value of a column (the column dropped), e.g. the nine shop domains of
online_shopping_9_cats.csv into books.csv, computers.csv, ... for the domain-shift tasks (docs/chinese.md):
  python3 scripts/split-by-column.py ../shared/datasets/chinese/online_shopping_9_cats.csv domain runs/data/shop
Standard library only; rows keep their order; an existing output file is not overwritten."""
import csv, os, sys

src, column, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
with open(src, encoding='utf-8-sig', newline='') as f:
    reader = csv.DictReader(f)
    keep = [c for c in reader.fieldnames if c != column]
    groups = {}
    for row in reader:
        groups.setdefault(row[column], []).append({c: row[c].lstrip('\ufeff') for c in keep})
for value, rows in groups.items():
    path = os.path.join(out, value + '.csv')
    if os.path.exists(path):
        sys.exit(f'{path}: exists; remove it or choose another output folder')
    with open(path + '.tmp', 'w', encoding='utf-8', newline='') as f:
        w = csv.DictWriter(f, keep); w.writeheader(); w.writerows(rows)
    os.replace(path + '.tmp', path)
    print(f'{path}: {len(rows)} rows')
