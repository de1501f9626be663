from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] for dicts and lists in templates; None when absent."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None
