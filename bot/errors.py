"""One error hierarchy for the core; the edges (CLI, Discord) translate it to user messages."""

from __future__ import annotations


class BriefbotError(Exception):
    """Base of every error the core raises on purpose. ``str(err)`` is a user-facing line."""


class ConfigError(BriefbotError):
    """The settings are invalid or incomplete."""


class InvalidURLError(BriefbotError):
    """A URL is malformed or uses an unsupported scheme."""


class BlockedAddressError(BriefbotError):
    """A URL resolves to an address Briefbot refuses to contact (loopback, private, ...)."""


class FetchError(BriefbotError):
    """Fetching a URL failed. ``retry_after`` is set when the server asked us to wait."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class TooLargeError(FetchError):
    """The body (after decompression) exceeded the size cap."""


class TooManyRedirectsError(FetchError):
    """More redirects than allowed, or a redirect loop."""


class ParseError(BriefbotError):
    """Bytes that should be a feed or a page could not be understood."""


class NotFoundError(BriefbotError):
    """A record the user named does not exist."""


class AlreadyExistsError(BriefbotError):
    """A record the user tried to add exists already."""


class InvalidInputError(BriefbotError):
    """A value the user typed cannot be used (a bad time span, an empty question, ...)."""


class LimitError(BriefbotError):
    """A limit that keeps Briefbot and its host healthy would be exceeded (too many sources, ...)."""


class DeliveryError(BriefbotError):
    """Posting to Discord failed."""


class ChannelGoneError(DeliveryError):
    """The channel (or thread) was deleted, or the bot can no longer see it."""

    reason = "the channel was deleted"


class MissingAccessError(DeliveryError):
    """The bot lost a permission it needs in the channel."""

    reason = "Briefbot lost a permission there"


class ForumTagRequiredError(MissingAccessError):
    """The forum requires a tag on each post and none of its tags names the subscription's topic."""

    reason = "the forum requires a tag on each post and none of its tags names the topic"


class TransientDeliveryError(DeliveryError):
    """Discord failed for now (5xx, timeouts): try again later. ``retry_after`` when known."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class LLMError(BriefbotError):
    """The configured language model failed or answered something unusable (the offline path
    answers instead). ``str(err)`` never holds the API key."""


class LLMUnavailableError(LLMError):
    """Every configured model timed out, was rate limited or failed on the server's side."""
