"""意见分拣: which responsible area a citizen's message belongs to, duplicates and hot topics.

A plain module (plus two management commands): nothing here touches the database.

    from openday.triage import message_text, starter_model
    model = starter_model()
    model.suggest(message_text(title, body))  # [Suggestion(label, confidence, terms), ...]
"""

from .classifier import (
    Suggestion,
    TextClassifier,
    cross_validate,
    duplicate_groups,
    starter_model,
)
from .similarity import Topic, hot_topics, near_duplicates, similar
from .text import message_text, split_message

__all__ = [
    "Suggestion",
    "TextClassifier",
    "Topic",
    "cross_validate",
    "duplicate_groups",
    "hot_topics",
    "message_text",
    "near_duplicates",
    "similar",
    "split_message",
    "starter_model",
]
