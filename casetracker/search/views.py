from django.shortcuts import render


def search(request):
    # Placeholder until the search engine lands (issue 3): an empty result page, not an error.
    return render(request, "search/results.html", {"query": request.GET.get("q", ""), "results": []})
