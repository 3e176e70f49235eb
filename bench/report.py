#!/usr/bin/env python3
"""report.py — prints bench/run's one table from the rows it collected.

Input (written by bench/run into its result directory):
  rows.tsv  one measured figure a line:
            id, figure, backend, requests/s, p50_us, p95_us, p99_us, errors, ref, note
            (ref names the row whose req/s this one is divided by; empty for
            none; a row with requests/s "-" was not measured and the note says why)
  meta.tsv  key, value: date, commit, machine, settings, RSS, dataset counts

Output: the table (figure, req/s, p50, p99, ratio to its reference), the
RSS lines, the targets of issue 9 with what this run reached, and the
factor by which the seed plan's latency targets are beaten.
"""
import sys

# Targets from issue 9, checked against this run's rows: (row id, what, test).
TARGETS = [
    ("sqlite_items", "GET /api/items?limit=20 >= 0.5x nginx, p99 <= 5 ms",
     lambda r, ref: ref and r["rps"] >= 0.5 * ref["rps"] and r["p99"] <= 5000),
    ("sqlite_post", "durable POST /api/items >= 3x single-fsync, p99 <= 10 ms",
     lambda r, ref: ref and r["rps"] >= 3 * ref["rps"] and r["p99"] <= 10000),
    ("sqlite_stripe", "signed Stripe webhook ingest >= 2x single-fsync",
     lambda r, ref: ref and r["rps"] >= 2 * ref["rps"]),
    ("sqlite_focus", "operator focus on x100 data: p50 < 2 ms, p99 < 10 ms",
     lambda r, ref: r["p50"] < 2000 and r["p99"] < 10000),
]

# How a reference is named in the ratio column.
SHORT = {"ref_nginx_health": "nginx", "ref_nginx_items": "nginx", "ref_fsync": "single fsync",
         "ref_pgbench": "pgbench -S", "ref_redis_get": "redis GET", "ref_redis_set": "redis SET"}

# The seed plan's targets: create p95 < 500 ms, get < 200 ms, list < 500 ms.
SEED = [("create", "sqlite_post", 500), ("get", "sqlite_get", 200),
        ("list", "sqlite_items100", 500)]


def load_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 10:
                continue
            rid, figure, backend, rps, p50, p95, p99, errors, ref, note = parts[:10]
            measured = rps != "-"
            rows.append({"id": rid, "figure": figure, "backend": backend,
                         "measured": measured,
                         "rps": float(rps) if measured else 0.0,
                         "p50": float(p50) if measured else 0.0,
                         "p95": float(p95) if measured else 0.0,
                         "p99": float(p99) if measured else 0.0,
                         "errors": int(errors) if measured else 0, "ref": ref, "note": note})
    return rows


def load_meta(path):
    meta = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                meta[k] = v
    except OSError:
        pass
    return meta


def ms(us):
    if us >= 100_000:
        return "%.0f ms" % (us / 1000)
    if us >= 10_000:
        return "%.1f ms" % (us / 1000)
    return "%.2f ms" % (us / 1000)


def rate(x):
    return "{:,.0f}".format(x)


def main(argv):
    if len(argv) != 2:
        print("usage: report.py RESULT_DIR", file=sys.stderr)
        return 2
    d = argv[1]
    rows = load_rows(d + "/rows.tsv")
    meta = load_meta(d + "/meta.tsv")
    by_id = {r["id"]: r for r in rows}
    out = []
    out.append("Lucia benchmark — %s, commit %s" % (meta.get("date", "?"),
                                                  meta.get("commit", "?")))
    out.append("machine: %s; load at the end %s" % (meta.get("machine", "?"),
                                                   meta.get("load_at_end", "?")))
    out.append("load: wrk, %s connections, %s threads, %s s per figure, on the same machine"
               % (meta.get("connections", "?"), meta.get("wrk_threads", "?"),
                  meta.get("duration_s", "?")))
    if meta.get("dataset_x100"):
        out.append("x100 dataset: %s" % meta["dataset_x100"])
    out.append("")
    w = max([len(r["figure"]) for r in rows] + [30])
    head = "%-*s  %-9s %10s %10s %10s  %s" % (w, "figure", "backend", "req/s", "p50", "p99",
                                             "ratio to reference")
    out.append(head)
    out.append("-" * len(head))
    for r in rows:
        if not r["measured"]:
            out.append("%-*s  %-9s %10s %10s %10s  %s" % (w, r["figure"], r["backend"], "-", "-",
                                                         "-", r["note"] or "not available"))
            continue
        ratio = ""
        ref = by_id.get(r["ref"]) if r["ref"] else None
        if ref and ref["measured"] and ref["rps"] > 0:
            ratio = "%.2fx %s" % (r["rps"] / ref["rps"], SHORT.get(ref["id"], ref["id"]))
        notes = []
        if r["errors"]:
            notes.append("%d errors" % r["errors"])
        if r["note"]:
            notes.append(r["note"])
        if notes:
            ratio = (ratio + "  " if ratio else "") + "(" + "; ".join(notes) + ")"
        out.append("%-*s  %-9s %10s %10s %10s  %s" % (w, r["figure"], r["backend"],
                                                     rate(r["rps"]), ms(r["p50"]), ms(r["p99"]),
                                                     ratio))
    out.append("")
    for k, label in (("rss_idle_sqlite", "RSS idle (sqlite)"),
                     ("rss_conns_sqlite", "RSS with 1,000 open connections (sqlite)"),
                     ("rss_idle_postgres", "RSS idle (postgres + redis)"),
                     ("rss_conns_postgres", "RSS with 1,000 open connections (postgres + redis)")):
        if k in meta:
            out.append("%-52s %s" % (label + ":", meta[k]))
    for k in ("audit_sqlite", "audit_postgres"):
        if k in meta:
            out.append("%-52s %s" % ("after the run, lucia audit verify (%s):" % k[6:], meta[k]))
    out.append("")
    out.append("targets (issue 9), this run:")
    for rid, what, test in TARGETS:
        r = by_id.get(rid)
        if r is None or not r["measured"]:
            out.append("  [ n/a ] %s — not measured" % what)
            continue
        ref = by_id.get(r["ref"]) if r["ref"] else None
        ok = test(r, ref if ref and ref["measured"] else None)
        out.append("  [%s] %s" % (" met " if ok else "MISSED", what))
    out.append("")
    out.append("seed plan (create p95 < 500 ms, get < 200 ms, list < 500 ms), measured p95:")
    for name, rid, target_ms in SEED:
        r = by_id.get(rid)
        if r is None or not r["measured"] or r["p95"] <= 0:
            out.append("  %-6s not measured" % name)
            continue
        out.append("  %-6s p95 %s: %.0fx under the %d ms target (%s)"
                   % (name, ms(r["p95"]), target_ms * 1000 / r["p95"], target_ms, r["figure"]))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
