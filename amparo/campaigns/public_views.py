"""Public pages of the campaigns: short links and the feedback form about a service (issue 17, parts 2 and 3)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_safe

from .selectors import link_by_code, target_path
from .services import link_visit

# --- Short links (part 2): /r/<code> -------------------------------------------------------------------------------


@require_safe
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """Count the visit (one counter per code per day) and send her on, in the link's language.

    Nothing about who: no cookie (the public-page middleware drops any), no address, no browser, no referrer is
    read or kept, and nothing is logged here. A HEAD (a link checker, some previews) is answered and not counted.
    An unknown code is the ordinary 404 page; a link to a deleted pathway or service lands on the pathways list or
    the finder (selectors.target_path). A 302, never a permanent redirect: browsers would keep it and skip the
    count, and a link's target may change with its pathway."""
    link = link_by_code(code.lower())
    if link is None:
        raise Http404
    if request.method == "GET":
        link_visit(link.id)
    return HttpResponseRedirect(target_path(link))
