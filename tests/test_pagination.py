from __future__ import annotations

from unittest import mock

import pytest

from tests.conftest import assert_error


@pytest.fixture
def widgets(toy_api):
    # Five widgets with distinct, increasing creation times.
    made = []
    for i in range(5):
        with mock.patch("dealerhub.db.now", return_value=1_700_000_000 + i):
            made.append(toy_api.post("/toy/widgets", json={"name": f"w{i}", "amount": i * 100}))
    return [r.get_json()["id"] for r in made]


def test_list_is_newest_first_with_cursor_paging(toy_api, widgets):
    page1 = toy_api.get("/toy/widgets?limit=2").get_json()
    assert page1["object"] == "list"
    assert page1["url"] == "/toy/widgets"
    assert [w["id"] for w in page1["data"]] == widgets[::-1][:2]
    assert page1["has_more"] is True
    page2 = toy_api.get(f"/toy/widgets?limit=2&starting_after={page1['data'][-1]['id']}")
    assert [w["id"] for w in page2.get_json()["data"]] == widgets[::-1][2:4]
    last = toy_api.get(f"/toy/widgets?limit=2&starting_after={widgets[1]}").get_json()
    assert [w["id"] for w in last["data"]] == [widgets[0]]
    assert last["has_more"] is False
    back = toy_api.get(f"/toy/widgets?limit=2&ending_before={widgets[0]}").get_json()
    assert [w["id"] for w in back["data"]] == [widgets[2], widgets[1]]
    assert back["has_more"] is True


def test_created_filters(toy_api, widgets):
    data = toy_api.get("/toy/widgets?created[gte]=1700000001&created[lt]=1700000003").get_json()
    assert [w["id"] for w in data["data"]] == [widgets[2], widgets[1]]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("starting_after=a&ending_before=b", "ending_before"),
    ],
)
def test_bad_list_arguments_are_400(toy_api, query, param):
    body = assert_error(toy_api.get(f"/toy/widgets?{query}"), 400, "invalid_request_error")
    assert body["param"] == param


@pytest.mark.parametrize("param", ["starting_after", "ending_before"])
def test_a_cursor_naming_no_object_is_404(toy_api, param):
    """An id that names no object is a 404 ``resource_missing`` wherever it is sent (API
    conventions), a cursor included: never an empty page, never a 400."""
    body = assert_error(
        toy_api.get(f"/toy/widgets?{param}=wid_unknown"),
        404,
        "invalid_request_error",
        "resource_missing",
    )
    assert body["param"] == param


def test_search_query_language(toy_api, widgets):
    result = toy_api.get("/toy/widgets/search?query=amount>=200 AND -name:'w4'").get_json()
    assert result["object"] == "search_result"
    assert [w["name"] for w in result["data"]] == ["w3", "w2"]
    paged = toy_api.get("/toy/widgets/search?query=amount>=0&limit=3").get_json()
    assert paged["has_more"] is True
    rest = toy_api.get(f"/toy/widgets/search?query=amount>=0&page={paged['next_page']}")
    assert [w["name"] for w in rest.get_json()["data"]] == ["w1", "w0"]
    assert rest.get_json()["next_page"] is None


@pytest.mark.parametrize(
    "query",
    ["amount>1 AND name:'a' OR name:'b'", "colour:'red'", "name:", "amount>>2", "name~'w'"],
)
def test_bad_search_is_400(toy_api, query):
    body = assert_error(
        toy_api.get("/toy/widgets/search", query_string={"query": query}),
        400,
        "invalid_request_error",
        "search_query_invalid",
    )
    assert body["param"] == "query"
