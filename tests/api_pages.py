"""What the API tests share: reading answers as JSON, walking a list, and pinning a page's queries."""

PROBLEM = "application/problem+json"


def get(client, path, **headers):
    return client.get(path, headers=headers)


def data(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content[:400]
    assert response["Content-Type"] == "application/json"
    return response.json()


def walk(client, path):
    """Every record of a list, following the next links."""
    records, url = [], path
    while url:
        page = data(client, url)
        records += page["data"]
        url = page["next"]
    return records


# Every answer: the records' state for the ETag (eurasia.page_cache.records_state); the rate limit
# counts outside the database. The first answer after a change also reads when the records last
# changed (public.datasets.data_facts).
COMMON = 1


def answer_in_queries(client, path, queries, django_assert_num_queries):
    """`path`, and the next page when it has one, each answered in `queries` queries once warmed up."""
    client.get(path)
    with django_assert_num_queries(queries):
        response = client.get(path)
    assert response.status_code == 200
    page = response.json()
    if "data" in page and page["next"]:
        with django_assert_num_queries(queries):
            assert client.get(page["next"]).status_code == 200
