"""A small HTTP load generator for the benchmarks: threads in their own process, loopback only, bounded.

    python -m devtools.loadgen http://127.0.0.1:8001/path --requests 2000 --concurrency 8 --seconds 30

Prints one JSON object: requests sent, errors (any status but 200, or a failed connection),
elapsed seconds, requests per second and latency percentiles. It stops at whichever bound comes
first, the number of requests or the time.
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def run(url, requests, concurrency, seconds):
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise ValueError("The load generator only drives a server on this machine (http://127.0.0.1:PORT/...).")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    lock = threading.Lock()
    state = {"left": requests, "errors": 0, "first_error": ""}
    latencies = []
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if state["left"] <= 0:
                    return
                state["left"] -= 1
            began = time.perf_counter()
            try:
                # One connection per request: gunicorn's sync workers close it after each response.
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                connection.request("GET", path, headers={"Host": parts.netloc})
                response = connection.getresponse()
                response.read()
                connection.close()
                ok, problem = response.status == 200, f"HTTP {response.status}"
            except OSError as error:
                ok, problem = False, repr(error)
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                if not ok:
                    state["errors"] += 1
                    state["first_error"] = state["first_error"] or problem

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    done = len(latencies)
    return {
        "requests": done,
        "errors": state["errors"],
        "first_error": state["first_error"],
        "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (done - 1))] * 1000, 1) if latencies else None,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)
    try:
        result = run(args.url, args.requests, args.concurrency, args.seconds)
    except ValueError as error:
        parser.error(str(error))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
