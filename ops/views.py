"""The operator's dashboard (staff only)."""

from django.http import HttpResponse


def dashboard(request):
    return HttpResponse("")


def export_csv(request):
    return HttpResponse("")
