from django.shortcuts import render

from . import engine

PAGE_SIZE = 20


def _page_number(value: str) -> int:
    try:
        return max(1, min(int(value), 1000))
    except (TypeError, ValueError):
        return 1


def search(request):
    """The public search: any script, any order, any common spelling of a name."""
    query = request.GET.get("q", "").strip()[: engine.MAX_QUERY_CHARS]
    page = _page_number(request.GET.get("page", "1"))
    results = None
    if query:
        results = engine.search(query, public=True, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(
        request,
        "search/results.html",
        {"query": query, "results": results, "page": page},
    )
