"""foiatrace: connect FOIA email releases to the news articles that printed what they disclosed."""

__version__ = "0.1.0"
