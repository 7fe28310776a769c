"""A large, valid exchange-format dataset, so that a load takes long enough to be interrupted part-way."""

import itertools
import string


def big_dataset(countries=200, blocs=20, events=2000):
    codes = ["".join(p) for p in itertools.product(string.ascii_uppercase, repeat=2)][:countries]
    data = {
        "format": "eurasia-records/1",
        "sources": [{"key": f"report-{n}", "title": f"Report {n}"} for n in range(50)],
        "countries": [{"alpha3": f"X{c}", "alpha2": c, "name": f"Country {c}"} for c in codes],
        "blocs": [
            {"slug": f"bloc-{b}", "name": f"Bloc {b}", "kind": "economic_union", "sources": [f"report-{b}"]}
            for b in range(blocs)
        ],
        "memberships": [
            {"country": f"X{c}", "bloc": f"bloc-{b}", "role": "member", "start": f"{1992 + b}-0{1 + i % 9}"}
            for b in range(blocs)
            for i, c in enumerate(codes)
        ],
        "events": [
            {
                "date": f"{1992 + n % 30}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                "title": f"Summit number {n}",
                "kind": "summit",
                "blocs": [f"bloc-{n % blocs}"],
                "countries": [f"X{codes[n % countries]}"],
                "sources": [f"report-{n % 50}"],
            }
            for n in range(events)
        ],
    }
    return data
