"""Template helpers for the account pages."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def mail_goes_to_console():
    """True when no mail server is configured: settings then print mail to the console."""
    return not settings.EMAIL_HOST
