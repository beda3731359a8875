"""Template helpers for the account pages."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def mail_goes_to_console():
    """True when no mail server is configured: settings then print mail to the console."""
    return not settings.EMAIL_HOST


@register.simple_tag
def site_name():
    """SITE_NAME and SITE_URL for mails, which render without our context processors (allauth
    would otherwise greet people from the bare host name)."""
    return settings.SITE_NAME


@register.simple_tag
def site_url():
    return settings.SITE_URL
