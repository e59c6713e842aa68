#!/usr/bin/env python3
"""Compares the Parquet tables of two report folders row for row (issue 15: `diagnose` writes
queries.parquet and hits.parquet in parts, so above 4,096 questions their bytes differ from a
file written whole while a reader must see the same table).

For every *.parquet file in both folders it prints the row count and whether the rows, the
column types, the row-group count and `ragdiag.schema_version` are the same, and which columns
changed nullability; exit 0 when every table holds the same rows with the same types, else 1.
Needs pyarrow (`pip install pyarrow`).

    python3 scripts/same_tables.py /tmp/report-main /tmp/report-branch
"""
import os
import sys

try:
    import pyarrow.parquet as pq
except ImportError:
    sys.exit("same_tables.py needs pyarrow: pip install pyarrow")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = sys.argv[1], sys.argv[2]
    names = sorted(f for f in os.listdir(a) if f.endswith(".parquet"))
    if not names:
        sys.exit(f"{a}: no Parquet files")
    ok = True
    for f in names:
        pa, pb = os.path.join(a, f), os.path.join(b, f)
        if not os.path.exists(pb):
            print(f"{f}: only in {a}")
            ok = False
            continue
        ta, tb = pq.read_table(pa), pq.read_table(pb)
        rows = ta.to_pylist() == tb.to_pylist()
        types = [x.type for x in ta.schema] == [x.type for x in tb.schema]
        names_same = ta.schema.names == tb.schema.names
        ma, mb = pq.ParquetFile(pa).metadata, pq.ParquetFile(pb).metadata
        key = b"ragdiag.schema_version"
        version = (ma.metadata or {}).get(key) == (mb.metadata or {}).get(key)
        nullable = [x.name for x, y in zip(ta.schema, tb.schema) if x.nullable != y.nullable]
        with open(pa, "rb") as x, open(pb, "rb") as y:
            same_bytes = x.read() == y.read()
        print(
            f"{f}: {ta.num_rows} rows; same rows {rows}, columns {names_same}, types {types}, "
            f"row groups {ma.num_row_groups}/{mb.num_row_groups}, schema version {version}, "
            f"bytes {same_bytes}; nullability changed: {', '.join(nullable) or 'none'}"
        )
        ok = ok and rows and types and names_same and version
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
