"""An import's bad rows on its error page: at most a bounded number, with the total."""

from django import template

from openday.lib import spreadsheet

register = template.Library()
register.filter("errors_shown", spreadsheet.errors_shown)
register.filter("errors_note", spreadsheet.errors_note)
