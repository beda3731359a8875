from django.conf import settings


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "simulator_active": settings.VIDEO_PROVIDER == "simulator",
        "payment_provider": settings.PAYMENT_PROVIDER,
    }
