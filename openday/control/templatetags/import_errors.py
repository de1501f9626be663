"""An import's bad rows on its error page: at most a bounded number, with the total."""

from django import template

from openday.lib import imports

register = template.Library()
register.filter("errors_shown", imports.errors_shown)
register.filter("errors_note", imports.errors_note)
