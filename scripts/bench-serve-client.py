#!/usr/bin/env python3
"""Load generator for scripts/bench-serve: CLIENTS threads send single sentences to POST /predict (one keep-alive
connection each) and report throughput, latency percentiles, failures and agreement with `classify`'s output.

usage: bench-serve-client.py URL TEXTS_FILE CLASSIFY_CSV CLIENTS [REQUESTS [ADAPTERS]]
TEXTS_FILE holds one JSON string per line; CLASSIFY_CSV is `bert-ft classify --out` on the same texts (or '-' to
skip the comparison). REQUESTS (default: one per text) cycles through the texts. ADAPTERS (a comma list, for
`serve --adapter`): request i names adapter i mod their count in its body.
"""
import csv
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main():
    url, texts_file, classify_csv, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with open(texts_file, encoding="utf-8") as f:
        texts = [json.loads(line) for line in f if line.strip()]
    n = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] != "-" else len(texts)
    adapters = sys.argv[6].split(",") if len(sys.argv) > 6 else []
    host = urllib.parse.urlparse(url)
    latencies = [0.0] * n
    answers = [None] * n
    failures = []
    next_index = [0]
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= n:
                break
            request = {"inputs": texts[i % len(texts)]}
            if adapters:
                request["adapter"] = adapters[i % len(adapters)]
            body = json.dumps(request)
            start = time.perf_counter()
            try:
                conn.request("POST", "/predict", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                latencies[i] = time.perf_counter() - start
                if r.status != 200:
                    failures.append(f"{i}: HTTP {r.status} {data[:200]!r}")
                else:
                    answers[i] = json.loads(data)[0]
            except Exception as e:  # a failed request is counted, not fatal
                failures.append(f"{i}: {e}")
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu = time.process_time()  # this client's own CPU (all its threads): it shares the machine with the server
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    ok = sorted(latencies[i] for i in range(n) if answers[i] is not None)

    def pct(p):
        return ok[min(len(ok) - 1, int(p / 100 * len(ok)))] * 1000 if ok else float("nan")

    print(f"serve: {n} requests from {clients} clients in {wall:.1f} s: {n / wall:.1f} sentences/s, "
          f"latency p50 {pct(50):.1f} ms p99 {pct(99):.1f} ms, failed {len(failures)}")
    print(f"client CPU: {cpu:.1f} s ({cpu / wall:.2f} cores over the pass, {cpu / n * 1000:.2f} ms per request)")
    for f in failures[:5]:
        print("  failed", f)
    if classify_csv != "-":
        with open(classify_csv, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        same_label = same_score = 0
        for i in range(n):
            row = rows[i % len(texts)]
            a = answers[i]
            if a is not None and a["label"] == row["predicted"]:
                same_label += 1
                # classify prints 4 decimals; the server's float, rounded the same way
                same_score += f"{a['score']:.4f}" == row["score"]
        print(f"agreement with classify: label {same_label}/{n}, score to 4 decimals {same_score}/{n}")
    print(f"RESULT {n / wall:.3f} {pct(50):.3f} {pct(99):.3f} {len(failures)} {wall:.3f} {cpu:.3f}")


if __name__ == "__main__":
    main()
